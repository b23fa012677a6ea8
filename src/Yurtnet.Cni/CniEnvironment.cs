using System.Text.RegularExpressions;
using Yurtnet.Netlink;

namespace Yurtnet.Cni;

/// <summary>The invocation's environment, validated as the spec's reference library (skel) validates it.</summary>
internal sealed partial record CniEnvironment
{
    public required CniCommand Command { get; init; }
    public string ContainerId { get; init; } = "";
    public string Netns { get; init; } = "";
    public string IfName { get; init; } = "";
    public string Path { get; init; } = "";
    public CniArgs Args { get; init; } = new();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")]
    private static partial Regex ContainerIdPattern();

    /// <summary>Reads and validates the CNI_* variables; every problem becomes one code-4 error naming the variables.</summary>
    public static bool TryRead(Func<string, string?> getenv, out CniEnvironment environment, out CniError error)
    {
        ArgumentNullException.ThrowIfNull(getenv);
        environment = null!;
        error = null!;
        var commandText = getenv("CNI_COMMAND");
        if (string.IsNullOrEmpty(commandText))
        {
            error = new CniError(CniError.InvalidEnvironment, "required environment variable CNI_COMMAND is missing", "set CNI_COMMAND to ADD, DEL, CHECK, STATUS, GC or VERSION");
            return false;
        }

        CniCommand? command = commandText switch
        {
            "ADD" => CniCommand.Add,
            "DEL" => CniCommand.Del,
            "CHECK" => CniCommand.Check,
            "STATUS" => CniCommand.Status,
            "VERSION" => CniCommand.Version,
            "GC" => CniCommand.Gc,
            _ => null,
        };
        if (command is null)
        {
            error = new CniError(CniError.InvalidEnvironment, $"CNI_COMMAND \"{commandText}\" is not a CNI verb", "use ADD, DEL, CHECK, STATUS, GC or VERSION");
            return false;
        }

        var value = command.Value;
        if (value == CniCommand.Version)
        {
            environment = new CniEnvironment { Command = value };
            return true;
        }

        var needsAttachment = value is CniCommand.Add or CniCommand.Del or CniCommand.Check;
        var needsNetns = value is CniCommand.Add or CniCommand.Check;
        var missing = new List<string>();
        var problems = new List<string>();

        var containerId = getenv("CNI_CONTAINERID") ?? "";
        var netns = getenv("CNI_NETNS") ?? "";
        var ifName = getenv("CNI_IFNAME") ?? "";
        var path = getenv("CNI_PATH") ?? "";
        if (needsAttachment)
        {
            if (containerId.Length == 0)
            {
                missing.Add("CNI_CONTAINERID");
            }
            else if (!ContainerIdPattern().IsMatch(containerId))
            {
                problems.Add($"CNI_CONTAINERID \"{containerId}\" must start with a letter or digit and contain only letters, digits, '_', '.' and '-'");
            }

            if (ifName.Length == 0)
            {
                missing.Add("CNI_IFNAME");
            }
            else if (InterfaceName.Problem(ifName) is { } ifProblem)
            {
                problems.Add($"CNI_IFNAME {ifProblem}");
            }
        }

        if (needsNetns && netns.Length == 0)
        {
            missing.Add("CNI_NETNS");
        }

        if (path.Length == 0)
        {
            missing.Add("CNI_PATH");
        }

        if (missing.Count > 0)
        {
            problems.Insert(0, $"required environment variable(s) {string.Join(", ", missing)} missing for {commandText}");
        }

        if (!CniArgs.TryParse(getenv("CNI_ARGS"), out var args, out var argsProblem))
        {
            problems.Add(argsProblem);
        }

        if (problems.Count > 0)
        {
            error = new CniError(CniError.InvalidEnvironment, string.Join("; ", problems));
            return false;
        }

        environment = new CniEnvironment { Command = value, ContainerId = containerId, Netns = netns, IfName = ifName, Path = path, Args = args };
        return true;
    }
}
