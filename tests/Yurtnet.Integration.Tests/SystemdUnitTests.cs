using System.Globalization;
using System.Text.RegularExpressions;

namespace Yurtnet.Integration.Tests;

/// <summary>systemd/yurtnetd.service and yurtnetd.socket, checked by systemd's own analyzer on a root laid out as installed.</summary>
public sealed class SystemdUnitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("yurtnet-units-").FullName;

    public SystemdUnitTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr", "sbin"));
        Directory.CreateDirectory(Path.Combine(_root, "usr", "lib", "systemd"));
        Directory.CreateDirectory(Path.Combine(_root, "etc", "systemd", "system"));
        Assert.Equal(0, TestNetns.Run("cp", "-r", "/lib/systemd/system", Path.Combine(_root, "usr", "lib", "systemd")).Code);
        File.Copy(Binaries.Daemon, Path.Combine(_root, "usr", "sbin", "yurtnetd"));
        foreach (var unit in new[] { "yurtnetd.service", "yurtnetd.socket" })
        {
            File.Copy(Path.Combine(Binaries.RepositoryRoot, "systemd", unit), Path.Combine(_root, "etc", "systemd", "system", unit));
        }
    }

    [Fact]
    public void Units_pass_systemd_analyze_verify()
    {
        var units = Path.Combine(_root, "etc", "systemd", "system");

        var verify = TestNetns.Run("systemd-analyze", "verify", $"--root={_root}", Path.Combine(units, "yurtnetd.service"), Path.Combine(units, "yurtnetd.socket"));

        Assert.True(verify.Code == 0, verify.Output);
        Assert.Equal("", verify.Output.Trim());
    }

    [Fact]
    public void Service_exposure_score_is_ok()
    {
        var security = TestNetns.Run("systemd-analyze", "security", "--offline=yes", $"--root={_root}", "yurtnetd.service");

        var match = Regex.Match(security.Output, @"Overall exposure level for yurtnetd\.service: (\d+\.\d)");
        Assert.True(match.Success, security.Output);
        Assert.True(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) <= 2.0, security.Output);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
