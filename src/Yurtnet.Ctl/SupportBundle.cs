using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Yurtnet.Ctl;

/// <summary>
/// <c>yurtnetctl support-bundle</c>: one tar.gz for a ticket, with what yurtnetd says (status, leases, peers), its
/// settings with secrets removed, the CNI networks that name yurtnet, the last hour of its journal, and the host state
/// that is ours (the nftables table, the routes and VXLAN device of the NodePool network, the networks' bridges, the
/// state directory's listing). Every part that cannot be had says why in its place: a bundle is written also when
/// yurtnetd is down, which is when it is needed most.
/// </summary>
/// <param name="socket">yurtnetd's socket.</param>
/// <param name="paths">Where the settings, the CNI networks and the state are.</param>
/// <param name="run">Runs a command and returns its output, or throws; <see cref="RunCommand(string, IReadOnlyList{string})"/> but in tests.</param>
internal sealed class SupportBundle(string socket, SupportBundle.Paths paths, Func<string, IReadOnlyList<string>, string>? run = null)
{
    /// <summary>The files a bundle reads.</summary>
    public sealed record Paths(string Config, string CniConfDir, string StateDir)
    {
        public static Paths Installed { get; } = new("/etc/yurtnet/yurtnetd.json", "/etc/cni/net.d", "/var/lib/yurtnet");
    }

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Settings keys whose values are secret: any with these words, unless it names a file (a path is not a secret).</summary>
    private static readonly string[] SecretWords = ["token", "password", "secret", "credential", "privatekey"];

    private readonly Func<string, IReadOnlyList<string>, string> _run = run ?? ((program, arguments) => RunCommand(program, arguments));

    /// <summary>
    /// Writes the bundle to <paramref name="output"/>: into a directory as a file named after host and time, or as a
    /// new file of that name. It is readable by its owner only (it names pods and addresses), and it never replaces a
    /// file that is there.
    /// </summary>
    /// <returns>The file written.</returns>
    /// <exception cref="IOException">It could not be written, or <paramref name="output"/> is a file that exists.</exception>
    public string Write(string output, DateTimeOffset now)
    {
        var name = $"yurtnet-support-{Environment.MachineName}-{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}";
        var file = Path.GetFullPath(Directory.Exists(output) ? Path.Combine(output, name + ".tar.gz") : output);
        if (File.Exists(file) || Directory.Exists(file))
        {
            throw new IOException($"{file} exists; name a directory or a new file");
        }

        var temp = Path.Combine(Path.GetDirectoryName(file)!, $".{Path.GetFileName(file)}.{Environment.ProcessId}.tmp");
        var owner = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        try
        {
            using (var stream = new FileStream(temp, owner))
            using (var gzip = new GZipStream(stream, CompressionLevel.Optimal))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
            {
                foreach (var (entry, content) in Parts(now))
                {
                    var data = new PaxTarEntry(TarEntryType.RegularFile, $"{name}/{entry}")
                    {
                        DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                        ModificationTime = now,
                        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    };
                    tar.WriteEntry(data);
                }
            }

            File.Move(temp, file, overwrite: false);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return file;
    }

    private IEnumerable<(string Entry, string Content)> Parts(DateTimeOffset now)
    {
        yield return ("README.txt", $"""
            yurtnet support bundle, written {now:O} on {Environment.MachineName} by yurtnetctl {System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(SupportBundle).Assembly)?.InformationalVersion}.
            status.txt, status.json, leases.json, peers.json  what yurtnetd said over {socket}
            yurtnetd.json        {paths.Config}, secrets removed
            cni/                 the CNI networks in {paths.CniConfDir} that name yurtnet
            journal.txt          journalctl -u yurtnetd -u yurtnetd.socket, the last hour (at most its last 20000 lines)
            nftables.txt         nft list table inet yurtnet
            routes.txt           the NodePool network: routes of protocol 121 (yurtnet), yurtnet.vxlan and its FDB
            bridges.txt          the bridges the networks name, with their addresses and ports
            state.txt            the files in {paths.StateDir} (names and sizes; the database itself is not included)
            host.txt             kernel, package version, uptime
            """);
        // One connect decides whether yurtnetd is there: a daemon that is down costs the connect budget once, not four times.
        var unreachable = Unreachable();
        yield return ("status.txt", unreachable ?? Ctl(c => c.Status(json: false)));
        yield return ("status.json", unreachable ?? Ctl(c => c.Status(json: true)));
        yield return ("leases.json", unreachable ?? Ctl(c => c.Leases(json: true)));
        yield return ("peers.json", unreachable ?? Ctl(c => c.Peers(json: true)));
        yield return ("yurtnetd.json", Settings());
        var networks = Networks();
        foreach (var (fileName, content) in networks)
        {
            yield return ($"cni/{fileName}", content);
        }

        yield return ("journal.txt", Command("journalctl", "-u", "yurtnetd.service", "-u", "yurtnetd.socket", "--since", "-1h", "--lines", "20000", "--no-pager", "-o", "short-iso-precise"));
        yield return ("nftables.txt", Command("nft", "list", "table", "inet", "yurtnet"));
        yield return ("routes.txt", string.Join('\n',
            Command("ip", "-4", "-d", "route", "show", "table", "all", "proto", "121"),
            Command("ip", "-6", "-d", "route", "show", "table", "all", "proto", "121"),
            Command("ip", "-d", "link", "show", "yurtnet.vxlan"),
            Command("bridge", "fdb", "show", "dev", "yurtnet.vxlan")));
        var bridges = Bridges(networks);
        yield return ("bridges.txt", bridges.Count == 0 ? "no yurtnet network found, so no bridge of ours\n" : string.Join('\n', bridges.SelectMany(b => new[]
        {
            Command("ip", "-d", "addr", "show", "dev", b),
            Command("ip", "link", "show", "master", b),
        })));
        yield return ("state.txt", StateListing());
        yield return ("host.txt", string.Join('\n', Command("uname", "-a"), Command("dpkg-query", "-W", "yurtnet"), Command("uptime")));
    }

    /// <summary>Why yurtnetd cannot be asked, or null when it can.</summary>
    private string? Unreachable()
    {
        try
        {
            using var probe = Yurtnet.Protocol.DaemonClient.Connect(socket, CtlCommands.ConnectBudget);
            return null;
        }
        catch (Yurtnet.Protocol.DaemonUnreachableException ex)
        {
            return $"yurtnetd could not be asked: {ex.Message}\n";
        }
    }

    /// <summary>What a yurtnetctl command prints, its errors included.</summary>
    private string Ctl(Func<CtlCommands, int> command)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        var exit = command(new CtlCommands(socket, output, output));
        return exit == 0 ? output.ToString() : $"{output}(exit {exit})\n";
    }

    private string Settings()
    {
        try
        {
            var settings = JsonNode.Parse(File.ReadAllText(paths.Config), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            RemoveSecrets(settings);
            return settings?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{paths.Config} could not be read: {ex.Message}\n";
        }
        catch (ArgumentException)
        {
            // A key given twice: which value the daemon took cannot be told, and neither can a secret.
            return $"{paths.Config} names a key twice; left out, as its secrets cannot be found\n";
        }
        catch (JsonException ex)
        {
            // Not JSON: nothing in it can be told apart from a secret, so none of it is included.
            // Its message may quote the text: only where it broke is said.
            return $"{paths.Config} is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}); left out, as its secrets cannot be found\n";
        }
    }

    /// <summary>Replaces the value of every secret key, at any depth.</summary>
    internal static void RemoveSecrets(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (IsSecret(key))
                    {
                        obj[key] = "(removed)";
                    }
                    else
                    {
                        RemoveSecrets(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RemoveSecrets(item);
                }

                break;
        }
    }

    private static bool IsSecret(string key)
    {
        var lower = key.ToLowerInvariant();
        return SecretWords.Any(lower.Contains) && !lower.EndsWith("file", StringComparison.Ordinal) && !lower.EndsWith("path", StringComparison.Ordinal);
    }

    /// <summary>The CNI network files that name the yurtnet plugin, with secrets removed as for the settings.</summary>
    private List<(string FileName, string Content)> Networks()
    {
        var found = new List<(string, string)>();
        List<string> files;
        try
        {
            files = Directory.Exists(paths.CniConfDir)
                ? Directory.EnumerateFiles(paths.CniConfDir).Where(f => f.EndsWith(".conf", StringComparison.Ordinal) || f.EndsWith(".conflist", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
                : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [("README.txt", $"{paths.CniConfDir} could not be listed: {ex.Message}\n")];
        }

        foreach (var file in files)
        {
            try
            {
                var text = File.ReadAllText(file);
                if (!text.Contains("\"yurtnet\"", StringComparison.Ordinal))
                {
                    continue;
                }

                var network = JsonNode.Parse(text);
                RemoveSecrets(network);
                found.Add((Path.GetFileName(file), network?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) ?? "null"));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                found.Add((Path.GetFileName(file), $"could not be read: {ex.Message}\n"));
            }
            catch (JsonException ex)
            {
                found.Add((Path.GetFileName(file), $"not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}); left out\n"));
            }
            catch (ArgumentException)
            {
                found.Add((Path.GetFileName(file), "names a key twice; left out\n"));
            }
        }

        return found;
    }

    /// <summary>The bridges the yurtnet networks name (<c>bridge</c>, default <c>yurt0</c>).</summary>
    private static SortedSet<string> Bridges(List<(string FileName, string Content)> networks)
    {
        var bridges = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, content) in networks)
        {
            try
            {
                var network = JsonNode.Parse(content);
                var plugins = network?["plugins"] is JsonArray list ? list.OfType<JsonObject>() : network is JsonObject single ? [single] : [];
                foreach (var plugin in plugins.Where(p => p["type"]?.GetValueKind() == JsonValueKind.String && p["type"]!.GetValue<string>() == "yurtnet"))
                {
                    bridges.Add(plugin["bridge"]?.GetValueKind() == JsonValueKind.String ? plugin["bridge"]!.GetValue<string>() : "yurt0");
                }
            }
            catch (JsonException)
            {
                // Reported in its cni/ entry.
            }
        }

        return bridges;
    }

    private string StateListing()
    {
        if (!Directory.Exists(paths.StateDir))
        {
            return $"{paths.StateDir} does not exist\n";
        }

        var listing = new StringBuilder();
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(paths.StateDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(entry);
                listing.AppendLine(CultureInfo.InvariantCulture, $"{(info.Attributes.HasFlag(FileAttributes.Directory) ? "dir " : $"{info.Length,10}")}  {info.LastWriteTimeUtc:yyyy-MM-ddTHH:mm:ssZ}  {entry}");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Mode 0700, root's: run as root for the listing.
            listing.AppendLine(CultureInfo.InvariantCulture, $"{paths.StateDir} could not be listed: {ex.Message}");
        }

        return listing.ToString();
    }

    private string Command(string program, params string[] arguments)
    {
        var line = $"$ {program} {string.Join(' ', arguments)}";
        try
        {
            return $"{line}\n{_run(program, arguments)}";
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException or TimeoutException)
        {
            return $"{line}\n({ex.Message})\n";
        }
    }

    /// <summary>
    /// Runs <paramref name="program"/> with no input and returns its output and errors; one that hangs is killed, and
    /// what it wrote until then is kept.
    /// </summary>
    internal static string RunCommand(string program, IReadOnlyList<string> arguments) => RunCommand(program, arguments, CommandTimeout);

    /// <inheritdoc cref="RunCommand(string, IReadOnlyList{string})"/>
    internal static string RunCommand(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var ending = "";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            ending = $"(killed after {timeout.TotalSeconds:0.#} s; the output above is what it wrote until then)\n";
        }
        else if (process.ExitCode != 0)
        {
            ending = $"(exit {process.ExitCode})\n";
        }

        return stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult() + ending;
    }
}
