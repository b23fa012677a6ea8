using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Tests.Configuration;

/// <summary>The settings file as a whole: defaults, the keys every component shares, and every problem reported at once.</summary>
public sealed class DaemonOptionsTests
{
    [Fact]
    public void Empty_configuration_gives_the_documented_defaults()
    {
        var options = SettingsFile.Read(out var problems);

        Assert.Empty(problems);
        Assert.Equal("/run/yurtnet/cni.sock", options.CniApi.Socket);
        Assert.Equal("/var/lib/yurtnet", options.State.StateDir);
        Assert.Equal("/var/lib/yurtnet/spool", options.Reconcile.SpoolDir);
        Assert.Equal(TimeSpan.FromMinutes(10), options.State.LeaseHold);
        Assert.Equal([0u], options.CniApi.AllowedUids);
    }

    [Fact]
    public void Spool_defaults_to_a_folder_of_the_state_dir()
    {
        Assert.Equal("/data/yn/spool", SettingsFile.Read(out _, ("stateDir", "/data/yn")).Reconcile.SpoolDir);
    }

    [Theory]
    [InlineData("10m", 600)]
    [InlineData("600s", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1.5m", 90)]
    [InlineData("00:10:00", 600)]
    [InlineData("45", 45)]
    [InlineData("250ms", 0.25)]
    public void Durations_accept_units_and_clock_form(string text, double seconds)
    {
        Assert.True(SettingsReader.TryParseDuration(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Fact]
    public void Every_bad_key_is_reported_by_name()
    {
        SettingsFile.Read(out var problems, ("leaseHold", "ten minutes"), ("socket", "cni.sock"), ("maxConcurrentRequests", "0"), ("logFormat", "xml"), ("allowedUids:0", "root"), ("colour", "blue"));

        Assert.Contains(problems, p => p.StartsWith("leaseHold: \"ten minutes\" is not a duration", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("socket: \"cni.sock\" must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("maxConcurrentRequests:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("logFormat:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("allowedUids[0]:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("colour: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_are_case_insensitive_as_environment_overrides_are_upper_case()
    {
        Assert.Equal("/tmp/x.sock", SettingsFile.Read(out var problems, ("SOCKET", "/tmp/x.sock")).CniApi.Socket);
        Assert.Empty(problems);
    }

    [Fact]
    public void Allowed_uids_accept_a_list_or_comma_text()
    {
        Assert.Equal([0u, 1000u], SettingsFile.Read(out _, ("allowedUids:0", "0"), ("allowedUids:1", "1000")).CniApi.AllowedUids);
        Assert.Equal([0u, 7u], SettingsFile.Read(out _, ("allowedUids", "0, 7")).CniApi.AllowedUids);
    }
}
