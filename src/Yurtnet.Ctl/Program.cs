using System.Reflection;
using Yurtnet.Ctl;

// yurtnetctl: the operator's view of yurtnetd, over the same socket the plugin uses.
const string Usage = """
usage: yurtnetctl [--socket PATH] COMMAND [--json]
commands:
  status    is yurtnetd ready to serve ADD; lease counts, pools, spool
  leases    every lease: address, state, pod, container, hold
  peers     the other gateways of the site: node, pod CIDRs, underlay address, mode, state
  gc        run yurtnetd's reconciliation now (spool, uncommitted leases, expired holds,
            host repair: bridges, gateway addresses, pod ports, forwarding, masquerade chains);
            exit 1 when the store refused the releases (the repairs are still listed)
  leds test light each status LED alone, in turn, with its name on screen
  support-bundle [--output PATH]
            one tar.gz for a ticket: status, leases, peers, settings (secrets removed), the CNI
            networks, the journal of the last hour, our nftables table, routes and bridges;
            written also when yurtnetd is down (PATH: a file or directory, default .)
options:
  --socket PATH   yurtnetd's socket (default /run/yurtnet/cni.sock, or $YURTNET_SOCKET)
  --json          machine-readable output
  --version       print the version
exit codes: 0 ok, 1 yurtnetd unreachable or refused, 2 usage, 3 not ready (status)
""";

var socket = Environment.GetEnvironmentVariable("YURTNET_SOCKET") is { Length: > 0 } env ? env : "/run/yurtnet/cni.sock";
var json = false;
string? command = null;
string? subcommand = null;
var output = ".";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--socket" when i + 1 < args.Length: socket = args[++i]; break;
        case "--json": json = true; break;
        case "--output":
            if (i + 1 >= args.Length || args[i + 1].Length == 0 || args[i + 1].StartsWith('-'))
            {
                Console.Error.WriteLine($"yurtnetctl: --output needs a directory or a new file name\n{Usage}");
                return 2;
            }

            output = args[++i];
            break;
        case "--version":
            Console.WriteLine($"yurtnetctl {typeof(CtlCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}");
            return 0;
        case "--help" or "-h" or "help": Console.WriteLine(Usage); return 0;
        default:
            if (command is null && !args[i].StartsWith('-'))
            {
                command = args[i];
                break;
            }

            if (command == "leds" && subcommand is null && !args[i].StartsWith('-'))
            {
                subcommand = args[i];
                break;
            }

            Console.Error.WriteLine($"yurtnetctl: unexpected argument \"{args[i]}\"\n{Usage}");
            return 2;
    }
}

var commands = new CtlCommands(socket, Console.Out, Console.Error);
return command switch
{
    "status" => commands.Status(json),
    "leases" => commands.Leases(json),
    "peers" => commands.Peers(json),
    "gc" => commands.Gc(json),
    "leds" when subcommand == "test" => commands.LedsTest(),
    "leds" => Fail("usage: yurtnetctl leds test"),
    "support-bundle" => WriteSupportBundle(socket, output),
    null => Fail("no command given"),
    _ => Fail($"unknown command \"{command}\""),
};

static int WriteSupportBundle(string socket, string output)
{
    try
    {
        Console.WriteLine(new SupportBundle(socket, SupportBundle.Paths.Installed).Write(output, DateTimeOffset.UtcNow));
        return 0;
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"yurtnetctl: the support bundle could not be written to {output}: {ex.Message}");
        return 1;
    }
}

static int Fail(string message)
{
    Console.Error.WriteLine($"yurtnetctl: {message}\n{Usage}");
    return 2;
}
