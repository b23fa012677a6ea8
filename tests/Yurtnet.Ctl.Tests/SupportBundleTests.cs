using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Yurtnet.Ctl.Tests;

public sealed class SupportBundleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("yurtnet-bundle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Read(string bundle)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        using var gzip = new GZipStream(File.OpenRead(bundle), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            Assert.NotNull(entry.DataStream); // every part says something, if only why it is empty
            using var reader = new StreamReader(entry.DataStream, Encoding.UTF8);
            entries[entry.Name[(entry.Name.IndexOf('/', StringComparison.Ordinal) + 1)..]] = reader.ReadToEnd();
        }

        return entries;
    }

    [Fact]
    public void Bundle_of_a_gateway_whose_daemon_is_down_has_every_part_says_why_and_carries_no_secret()
    {
        var etc = Directory.CreateDirectory(Path.Combine(_dir, "etc")).FullName;
        var cni = Directory.CreateDirectory(Path.Combine(_dir, "net.d")).FullName;
        var state = Directory.CreateDirectory(Path.Combine(_dir, "state", "spool")).Parent!.FullName;
        File.WriteAllText(Path.Combine(state, "state.db"), "db");
        File.WriteAllText(Path.Combine(etc, "yurtnetd.json"), """
            { "leaseHold": "10m", // a comment
              "cluster": { "server": "https://127.0.0.1:10268", "tokenFile": "/etc/yurtnet/token", "token": "s3cr3t-token" },
              "leds": [ { "name": "fault", "apiPassword": "hunter2" } ] }
            """);
        File.WriteAllText(Path.Combine(cni, "10-yurtnet.conflist"), """{"cniVersion":"1.0.0","name":"edge","plugins":[{"type":"yurtnet","bridge":"br-shop"},{"type":"portmap"}]}""");
        File.WriteAllText(Path.Combine(cni, "05-theirs.conflist"), """{"cniVersion":"1.0.0","name":"theirs","plugins":[{"type":"bridge"}]}""");
        var ran = new List<string>();
        var bundle = new SupportBundle(Path.Combine(_dir, "no.sock"), new SupportBundle.Paths(Path.Combine(etc, "yurtnetd.json"), cni, state), (program, arguments) =>
        {
            ran.Add($"{program} {string.Join(' ', arguments)}");
            return program == "nft" ? throw new System.ComponentModel.Win32Exception("No such file or directory") : $"output of {program}\n";
        });

        var file = bundle.Write(_dir, new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
        var parts = Read(file);

        Assert.EndsWith("-20261130T100000Z.tar.gz", file, StringComparison.Ordinal);
        Assert.Equal(
            ["README.txt", "bridges.txt", "cni/10-yurtnet.conflist", "host.txt", "journal.txt", "leases.json", "nftables.txt", "peers.json", "routes.txt", "state.txt", "status.json", "status.txt", "yurtnetd.json"],
            parts.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("no socket at", parts["status.txt"], StringComparison.Ordinal);
        Assert.Contains("yurtnetd could not be asked", parts["leases.json"], StringComparison.Ordinal);
        Assert.DoesNotContain(parts.Values, v => v.Contains("s3cr3t", StringComparison.Ordinal) || v.Contains("hunter2", StringComparison.Ordinal));
        Assert.Contains("\"token\": \"(removed)\"", parts["yurtnetd.json"], StringComparison.Ordinal);
        Assert.Contains("\"apiPassword\": \"(removed)\"", parts["yurtnetd.json"], StringComparison.Ordinal);
        Assert.Contains("\"tokenFile\": \"/etc/yurtnet/token\"", parts["yurtnetd.json"], StringComparison.Ordinal);
        Assert.Contains("journalctl -u yurtnetd.service -u yurtnetd.socket --since -1h", parts["journal.txt"], StringComparison.Ordinal);
        Assert.Contains("(No such file or directory)", parts["nftables.txt"], StringComparison.Ordinal);
        Assert.Contains("ip -d addr show dev br-shop", ran);
        Assert.Contains("ip -4 -d route show table all proto 121", ran);
        Assert.Contains(Path.Combine(state, "state.db"), parts["state.txt"], StringComparison.Ordinal);
        Assert.DoesNotContain("\"db\"", parts["state.txt"], StringComparison.Ordinal);
    }

    [Fact]
    public void Bundle_is_its_owners_alone_and_never_replaces_a_file()
    {
        var config = Path.Combine(_dir, "yurtnetd.json");
        File.WriteAllText(config, """{ "leaseHold": "10m", "leaseHold": "20m" }""");
        var existing = Path.Combine(_dir, "there.tar.gz");
        File.WriteAllText(existing, "keep me");
        var bundle = new SupportBundle(Path.Combine(_dir, "no.sock"), new SupportBundle.Paths(config, _dir, _dir), (_, _) => "");

        var file = bundle.Write(_dir, DateTimeOffset.UtcNow);
        var refused = Assert.Throws<IOException>(() => bundle.Write(existing, DateTimeOffset.UtcNow));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains("exists", refused.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(existing));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
        Assert.Contains("names a key twice", Read(file)["yurtnetd.json"], StringComparison.Ordinal);
    }

    [Fact]
    public void Command_that_hangs_is_killed_and_what_it_wrote_is_kept()
    {
        var output = SupportBundle.RunCommand("sh", ["-c", "echo before; exec sleep 600"], TimeSpan.FromMilliseconds(300));

        Assert.StartsWith("before\n", output, StringComparison.Ordinal);
        Assert.Contains("killed after", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_that_are_not_json_are_left_out_rather_than_searched_for_secrets()
    {
        var config = Path.Combine(_dir, "yurtnetd.json");
        File.WriteAllText(config, "token = s3cr3t");
        var bundle = new SupportBundle(Path.Combine(_dir, "no.sock"), new SupportBundle.Paths(config, Path.Combine(_dir, "none"), Path.Combine(_dir, "none")), (_, _) => "");

        var parts = Read(bundle.Write(Path.Combine(_dir, "bundle.tar.gz"), DateTimeOffset.UtcNow));

        Assert.Contains("is not valid JSON", parts["yurtnetd.json"], StringComparison.Ordinal);
        Assert.DoesNotContain(parts.Values, v => v.Contains("s3cr3t", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_dir, "bundle.tar.gz")));
    }
}
