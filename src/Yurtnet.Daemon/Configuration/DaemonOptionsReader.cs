using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Yurtnet.Daemon.Configuration;

/// <summary>
/// Reads <see cref="DaemonOptions"/> from configuration and validates every key, reporting all problems at
/// once with the key's name, so one look at the journal says what to fix.
/// </summary>
internal static class DaemonOptionsReader
{
    private static readonly string[] KnownKeys =
    [
        "socket", "stateDir", "spoolDir", "leaseHold", "pendingTimeout", "reconcileInterval", "requestTimeout",
        "maxConcurrentRequests", "maxFrameBytes", "allowedUids", "logFormat", "uplink", "leds", "watchdog", "cluster",
    ];

    private static readonly string[] ClusterKeys =
        ["nodeName", "server", "caFile", "tokenFile", "kubeconfig", "inCluster", "hubManagement", "watchTimeout", "healthInterval", "gcGrace", "qps", "burst"];

    private static readonly string[] WatchdogKeys = ["device", "timeout", "nowayout"];
    private static readonly string[] LedKeys = ["name", "role", "backend", "chip", "line", "led", "model", "bus", "address", "activeLow"];

    public static DaemonOptions Read(IConfiguration configuration, out List<string> problems) =>
        Read(configuration, Environment.GetEnvironmentVariable("NODE_NAME"), Environment.MachineName, out problems);

    /// <summary>Reads with the node name sources given, for tests.</summary>
    public static DaemonOptions Read(IConfiguration configuration, string? nodeNameVariable, string hostName, out List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        problems = [];
        var defaults = new DaemonOptions();
        foreach (var section in configuration.GetChildren())
        {
            if (!KnownKeys.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{section.Key}: unknown key; known keys are {string.Join(", ", KnownKeys)}");
            }
        }

        var stateDir = AbsolutePath(configuration, "stateDir", defaults.StateDir, problems);
        var options = new DaemonOptions
        {
            Socket = AbsolutePath(configuration, "socket", defaults.Socket, problems),
            StateDir = stateDir,
            SpoolDir = AbsolutePath(configuration, "spoolDir", Path.Combine(stateDir, "spool"), problems),
            LeaseHold = Duration(configuration, "leaseHold", defaults.LeaseHold, TimeSpan.Zero, TimeSpan.FromDays(30), problems),
            PendingTimeout = Duration(configuration, "pendingTimeout", defaults.PendingTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), problems),
            ReconcileInterval = Duration(configuration, "reconcileInterval", defaults.ReconcileInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), problems),
            RequestTimeout = Duration(configuration, "requestTimeout", defaults.RequestTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(2), problems),
            MaxConcurrentRequests = Integer(configuration, "maxConcurrentRequests", defaults.MaxConcurrentRequests, 1, 1024, problems),
            MaxFrameBytes = Integer(configuration, "maxFrameBytes", defaults.MaxFrameBytes, 1024, 16 * 1024 * 1024, problems),
            AllowedUids = Uids(configuration, "allowedUids", defaults.AllowedUids, problems),
            LogFormat = OneOf(configuration, "logFormat", defaults.LogFormat, ["text", "json"], problems),
            Uplink = Uplink(configuration["uplink"], problems),
            Leds = Leds(configuration.GetSection("leds"), problems),
            Watchdog = Watchdog(configuration.GetSection("watchdog"), problems),
            Cluster = Cluster(configuration.GetSection("cluster"), nodeNameVariable, hostName, problems),
        };
        return options;
    }

    /// <summary>Parses <c>10m</c>, <c>600s</c>, <c>1h</c>, <c>500ms</c>, a plain number of seconds, or <c>hh:mm:ss</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        text = text.Trim();
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];
        foreach (var (suffix, seconds) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.Ordinal))
                && n >= 0)
            {
                value = TimeSpan.FromSeconds(n * seconds);
                return true;
            }
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && plain >= 0)
        {
            value = TimeSpan.FromSeconds(plain);
            return true;
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    private static List<LedOptions> Leds(IConfigurationSection section, List<string> problems)
    {
        var leds = new List<LedOptions>();
        foreach (var entry in section.GetChildren())
        {
            var key = $"leds[{entry.Key}]";
            var entryProblems = new List<string>();
            foreach (var child in entry.GetChildren().Where(c => !LedKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
            {
                entryProblems.Add($"{child.Key}: unknown key; known keys are {string.Join(", ", LedKeys)}");
            }

            var name = entry["name"];
            if (string.IsNullOrEmpty(name))
            {
                entryProblems.Add("name: required");
            }
            else if (leds.Any(l => l.Name == name))
            {
                entryProblems.Add($"name: \"{name}\" is used twice");
            }

            if (!Enum.TryParse<Yurtnet.Daemon.Appliance.Leds.LedRole>(entry["role"], ignoreCase: true, out var role) || int.TryParse(entry["role"], out _))
            {
                entryProblems.Add($"role: \"{entry["role"]}\" must be one of power, uplink, cloud, activity, fault");
            }

            var backend = entry["backend"] ?? "gpio";
            if (backend is not ("gpio" or "ledclass" or "mcp23xxx" or "none"))
            {
                entryProblems.Add($"backend: \"{backend}\" must be gpio, ledclass, mcp23xxx or none");
            }

            var model = entry["model"] ?? "mcp23017";
            var bus = 1;
            var address = 0x20;
            if (backend == "mcp23xxx")
            {
                if (model is not ("mcp23017" or "mcp23008"))
                {
                    entryProblems.Add($"model: \"{model}\" must be mcp23017 or mcp23008");
                }

                if (entry["bus"] is { } busText && (!int.TryParse(busText, NumberStyles.None, CultureInfo.InvariantCulture, out bus) || bus > 255))
                {
                    entryProblems.Add($"bus: \"{busText}\" must be the I2C bus number (/dev/i2c-N)");
                }

                if (entry["address"] is { } addressText && !TryParseAddress(addressText, out address))
                {
                    entryProblems.Add($"address: \"{addressText}\" must be the expander's I2C address, 0x20 to 0x27");
                }
            }

            var ledName = entry["led"];
            if (backend == "ledclass" && (string.IsNullOrEmpty(ledName) || ledName.Contains('/', StringComparison.Ordinal) || ledName is "." or ".."))
            {
                entryProblems.Add($"led: \"{ledName}\" must be the LED's name under /sys/class/leds");
            }

            var line = -1;
            string? lineName = null;
            var lineText = entry["line"];
            if (backend == "gpio" && !string.IsNullOrWhiteSpace(lineText) && !char.IsAsciiDigit(lineText[0]))
            {
                // gpio-line-names: at most 31 bytes (the kernel's GPIO_MAX_NAME_SIZE less the NUL).
                lineName = lineText;
                if (System.Text.Encoding.UTF8.GetByteCount(lineText) > 31)
                {
                    entryProblems.Add($"line: \"{lineText}\" is longer than a GPIO line name can be (31 bytes)");
                }
            }
            else if (backend is "gpio" or "mcp23xxx" && (!int.TryParse(lineText, NumberStyles.None, CultureInfo.InvariantCulture, out line) || line < 0 || (backend == "mcp23xxx" && line >= (model == "mcp23008" ? 8 : 16))))
            {
                entryProblems.Add($"line: \"{lineText}\" must be {(backend == "gpio" ? "the GPIO line's number on the chip or its name as gpioinfo shows it" : $"the pin of the {model} (0-{(model == "mcp23008" ? 7 : 15)})")}");
            }

            var activeLow = Boolean(entry, "activeLow", false, entryProblems);
            problems.AddRange(entryProblems.Select(p => $"{key}.{p}"));
            if (entryProblems.Count == 0)
            {
                leds.Add(new LedOptions { Name = name!, Role = role, Backend = backend, Chip = entry["chip"], Line = Math.Max(line, 0), LineName = lineName, Led = ledName, Model = model, Bus = bus, Address = address, ActiveLow = activeLow });
            }
        }

        return leds;
    }

    private static bool TryParseAddress(string text, out int address)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out address)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
        return ok && address is >= 0x20 and <= 0x27;
    }

    private static string? Uplink(string? value, List<string> problems)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (Yurtnet.Netlink.InterfaceName.Problem(value) is { } problem)
        {
            problems.Add($"uplink: {problem}");
            return null;
        }

        return value;
    }

    private static WatchdogOptions? Watchdog(IConfigurationSection section, List<string> problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        foreach (var child in section.GetChildren().Where(c => !WatchdogKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            problems.Add($"watchdog.{child.Key}: unknown key; known keys are {string.Join(", ", WatchdogKeys)}");
        }

        var defaults = new WatchdogOptions();
        var keyProblems = new List<string>();
        var options = new WatchdogOptions
        {
            Device = AbsolutePath(section, "device", defaults.Device, keyProblems),
            Timeout = Duration(section, "timeout", defaults.Timeout, TimeSpan.FromSeconds(2), TimeSpan.FromHours(1), keyProblems),
            NoWayOut = Boolean(section, "nowayout", defaults.NoWayOut, keyProblems),
        };
        problems.AddRange(keyProblems.Select(p => "watchdog." + p));
        return options;
    }

    private static ClusterOptions? Cluster(IConfigurationSection section, string? nodeNameVariable, string hostName, List<string> problems)
    {
        if (!section.Exists())
        {
            return null;
        }

        foreach (var child in section.GetChildren().Where(c => !ClusterKeys.Contains(c.Key, StringComparer.OrdinalIgnoreCase)))
        {
            problems.Add($"cluster.{child.Key}: unknown key; known keys are {string.Join(", ", ClusterKeys)}");
        }

        var keyProblems = new List<string>();
        var nodeName = section["nodeName"] is { Length: > 0 } configured ? configured
            : nodeNameVariable is { Length: > 0 } variable ? variable
            : hostName.ToLowerInvariant();
        if (!IsDnsSubdomain(nodeName))
        {
            keyProblems.Add($"nodeName: \"{nodeName}\" is not a Kubernetes node name (lower-case letters, digits, '-' and '.'); set cluster.nodeName or NODE_NAME");
        }

        var defaults = new ClusterOptions { NodeName = nodeName };
        var kubeconfig = section["kubeconfig"] is { Length: > 0 } ? AbsolutePath(section, "kubeconfig", "", keyProblems) : null;
        var inCluster = Boolean(section, "inCluster", false, keyProblems);
        var sources = (section["server"] is { Length: > 0 } || section["tokenFile"] is { Length: > 0 } ? 1 : 0) + (kubeconfig is null ? 0 : 1) + (inCluster ? 1 : 0);
        if (sources > 1)
        {
            keyProblems.Add("server/tokenFile, kubeconfig and inCluster are alternatives: set one of them");
        }

        var options = new ClusterOptions
        {
            NodeName = nodeName,
            Server = HttpUri(section, "server", defaults.Server, keyProblems),
            CaFile = section["caFile"] is { Length: > 0 } ? AbsolutePath(section, "caFile", "", keyProblems) : null,
            TokenFile = section["tokenFile"] is { Length: > 0 } ? AbsolutePath(section, "tokenFile", "", keyProblems) : null,
            Kubeconfig = kubeconfig,
            InCluster = inCluster,
            HubManagement = HttpUri(section, "hubManagement", defaults.HubManagement, keyProblems),
            WatchTimeout = Duration(section, "watchTimeout", defaults.WatchTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1), keyProblems),
            HealthInterval = Duration(section, "healthInterval", defaults.HealthInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10), keyProblems),
            GcGrace = Duration(section, "gcGrace", defaults.GcGrace, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7), keyProblems),
            Qps = section["qps"] is { Length: > 0 } qps && double.TryParse(qps, NumberStyles.Float, CultureInfo.InvariantCulture, out var q) && q is > 0 and <= 1000 ? q
                : section["qps"] is { Length: > 0 } badQps ? Bad(keyProblems, $"qps: \"{badQps}\" must be a number of requests per second, above 0 and at most 1000", defaults.Qps) : defaults.Qps,
            Burst = Integer(section, "burst", defaults.Burst, 1, 1000, keyProblems),
        };
        if (options.Server.Scheme == "https" && options.CaFile is null && kubeconfig is null && !inCluster)
        {
            keyProblems.Add($"caFile: required for {options.Server} (the cluster CA that signs yurthub's certificate, e.g. /etc/kubernetes/pki/ca.crt)");
        }

        if (options.TokenFile is null && kubeconfig is null && !inCluster)
        {
            keyProblems.Add("tokenFile: required (yurtnet's ServiceAccount token; without one yurthub would act with the node's own identity)");
        }

        problems.AddRange(keyProblems.Select(p => "cluster." + p));
        return options;
    }

    private static T Bad<T>(List<string> problems, string problem, T fallback)
    {
        problems.Add(problem);
        return fallback;
    }

    private static bool IsDnsSubdomain(string name) =>
        name.Length is > 0 and <= 253
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    private static Uri HttpUri(IConfiguration c, string key, Uri fallback, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/" || uri.Query.Length > 0)
        {
            problems.Add($"{key}: \"{value}\" must be an http or https URL without a path, e.g. https://169.254.2.1:10268");
            return fallback;
        }

        return uri;
    }

    private static bool Boolean(IConfiguration c, string key, bool fallback, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!bool.TryParse(value, out var parsed))
        {
            problems.Add($"{key}: \"{value}\" must be true or false");
            return fallback;
        }

        return parsed;
    }

    private static string AbsolutePath(IConfiguration c, string key, string fallback, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!Path.IsPathRooted(value))
        {
            problems.Add($"{key}: \"{value}\" must be an absolute path");
            return fallback;
        }

        return value;
    }

    private static TimeSpan Duration(IConfiguration c, string key, TimeSpan fallback, TimeSpan min, TimeSpan max, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!TryParseDuration(value, out var parsed))
        {
            problems.Add($"{key}: \"{value}\" is not a duration such as 10m, 30s, 500ms or 00:10:00");
            return fallback;
        }

        if (parsed < min || parsed > max)
        {
            problems.Add($"{key}: {value} is outside {min}..{max}");
            return fallback;
        }

        return parsed;
    }

    private static int Integer(IConfiguration c, string key, int fallback, int min, int max, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) || parsed < min || parsed > max)
        {
            problems.Add($"{key}: \"{value}\" must be a whole number in {min}..{max}");
            return fallback;
        }

        return parsed;
    }

    private static List<uint> Uids(IConfiguration c, string key, IReadOnlyList<uint> fallback, List<string> problems)
    {
        var section = c.GetSection(key);
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            if (string.IsNullOrEmpty(section.Value))
            {
                return [.. fallback];
            }

            children = [];
            var uids = new List<uint>();
            foreach (var part in section.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (uint.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid))
                {
                    uids.Add(uid);
                }
                else
                {
                    problems.Add($"{key}: \"{part}\" is not a user id");
                }
            }

            return uids;
        }

        var result = new List<uint>();
        foreach (var child in children)
        {
            if (uint.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid))
            {
                result.Add(uid);
            }
            else
            {
                problems.Add($"{key}[{child.Key}]: \"{child.Value}\" is not a user id");
            }
        }

        return result;
    }

    private static string OneOf(IConfiguration c, string key, string fallback, string[] allowed, List<string> problems)
    {
        var value = c[key];
        if (string.IsNullOrEmpty(value))
        {
            return fallback;
        }

        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            problems.Add($"{key}: \"{value}\" must be one of {string.Join(", ", allowed)}");
            return fallback;
        }

        return value;
    }
}
