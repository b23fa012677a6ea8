using Yurtnet.Protocol;

namespace Yurtnet.Integration.Tests;

/// <summary>What pods see when yurtnetd crashes, restarts or is not there.</summary>
[Trait("requirement", "root")]
public sealed class DaemonLifecycleTests
{
    [RootFact]
    public async Task Killed_daemon_then_del_is_spooled_and_restarted_daemon_releases_it()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        daemon.Kill();

        var del = CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);

        Assert.True(del.ExitCode == 0, del.ToString());
        Assert.Contains("release spooled", del.Stderr, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(daemon.SpoolDir, "*.release.json"));
        await daemon.StartAgainAsync();
        Assert.All(await daemon.LeasesAsync(), l => Assert.Equal("held", l.State));
        Assert.Empty(Directory.GetFiles(daemon.SpoolDir, "*.release.json"));
    }

    [RootFact]
    public async Task Daemon_refuses_a_store_only_a_newer_yurtnet_reads_with_exit_3_a_message_and_the_files_untouched()
    {
        // A downgrade by more than one release: systemd does not restart exit 3 (RestartPreventExitStatus).
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("p"));
        daemon.Stop();
        var data = Path.Combine(daemon.StateDir, "state.db");
        using (var db = new LiteDB.LiteDatabase(data))
        {
            db.GetCollection("facts").Upsert(new LiteDB.BsonDocument { ["_id"] = "sequence", ["n"] = 99L, ["schema"] = 9, ["format"] = 9 });
        }

        var before = Fingerprint(daemon.StateDir);

        var (code, output) = TestNetns.Run(Binaries.Daemon, "--config", daemon.ConfigPath);

        Assert.True(code == 3, $"exit {code}: {output}");
        Assert.Contains($"state database {data} was written by a newer yurtnet (format 9, read correctly only from format 9;", output, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(daemon.StateDir));

        // Files with content: LiteDB deletes an empty log file when it closes, and yurtnetd creates it again (empty).
        static List<(string File, string Sha256)> Fingerprint(string dir) =>
            Directory.GetFiles(dir).Where(f => new FileInfo(f).Length > 0).Order().Select(f => (f, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))))).ToList();
    }

    [RootFact]
    public async Task Daemon_killed_right_after_answering_keeps_all_leases()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        var pods = Enumerable.Range(0, 3).Select(_ => new TestNetns()).ToList();
        try
        {
            var adds = pods.Select((pod, i) => CniRun.Exec("ADD", network.Conf(), $"c{i}", pod.Path, args: CniRun.PodArgs($"p{i}"))).ToList();
            daemon.Kill();
            await daemon.StartAgainAsync();

            var leases = await daemon.LeasesAsync();
            var expected = adds.SelectMany(a => a.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!.Split('/')[0])).Order().ToList();
            Assert.Equal(expected, leases.Select(l => l.Ip).Order().ToList());
            Assert.All(leases, l => Assert.Equal("active", l.State));
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }

    [RootFact]
    public async Task Clean_restart_keeps_leases_and_the_same_pod_gets_its_address_back()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon);
        using var pod = new TestNetns();
        var before = CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("db-0", "plant"));
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
        daemon.Stop();
        await daemon.StartAgainAsync();
        using var again = new TestNetns();

        var after = CniRun.Exec("ADD", network.Conf(), "c2", again.Path, args: CniRun.PodArgs("db-0", "plant"));

        Assert.Equal(before.Json.GetProperty("ips").ToString(), after.Json.GetProperty("ips").ToString());
        CniRun.Exec("DEL", network.Conf(), "c2", again.Path);
    }

    [RootFact]
    public async Task Unreachable_daemon_on_add_and_check_returns_code_11_and_status_50()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4", "1.1.0");
        using var pod = new TestNetns();
        daemon.Stop();
        var conf = network.Conf(c => c["daemonWaitSeconds"] = 0.3);

        var add = CniRun.Exec("ADD", conf, "c1", pod.Path, args: CniRun.PodArgs("p"));
        var check = CniRun.Exec("CHECK", network.Conf(c =>
        {
            c["daemonWaitSeconds"] = 0.3;
            c["prevResult"] = System.Text.Json.Nodes.JsonNode.Parse("""{"cniVersion":"1.1.0","interfaces":[],"ips":[],"routes":[]}""");
        }), "c1", pod.Path);
        var status = CniRun.Exec("STATUS", conf);

        Assert.Equal(11, add.ErrorCode);
        Assert.Contains("yurtnetd is not running", add.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(11, check.ErrorCode);
        Assert.Equal(50, status.ErrorCode);
        Assert.NotEqual(0, pod.Exec("ip", "link", "show", "eth0").Code);
    }

    [RootFact]
    public async Task Ctl_shows_status_and_leases_of_the_running_daemon()
    {
        await using var daemon = await DaemonProcess.StartAsync();
        using var network = new TestNetwork(daemon, "v4");
        using var pod = new TestNetns();
        CniRun.Exec("ADD", network.Conf(), "c1", pod.Path, args: CniRun.PodArgs("till-0", "shop"));

        var status = daemon.Ctl("status");
        var leases = daemon.Ctl("leases");
        var json = daemon.Ctl("leases", "--json");
        var gc = daemon.Ctl("gc");

        Assert.Equal(0, status.Code);
        Assert.Contains("ready", status.Output, StringComparison.Ordinal);
        Assert.Contains("1 active", status.Output, StringComparison.Ordinal);
        Assert.Contains("shop/till-0", leases.Output, StringComparison.Ordinal);
        Assert.Equal("active", System.Text.Json.JsonDocument.Parse(json.Output).RootElement[0].GetProperty("state").GetString());
        Assert.Equal(0, gc.Code);
        CniRun.Exec("DEL", network.Conf(), "c1", pod.Path);
    }

    [Fact]
    public async Task Missing_watchdog_device_is_reported_once_and_pods_are_still_served()
    {
        await using var daemon = new DaemonProcess(", \"watchdog\": { \"device\": \"/dev/no-such-watchdog\", \"timeout\": \"10s\" }");
        await daemon.StartAgainAsync();

        var status = daemon.Ask<Yurtnet.Protocol.StatusResponse>(new Yurtnet.Protocol.StatusRequest());
        await daemon.WaitForLogAsync("hardware watchdog not used", TimeSpan.FromSeconds(2));

        Assert.True(status.Ready);
        Assert.Contains("hardware watchdog not used: watchdog device /dev/no-such-watchdog does not exist", daemon.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Led_without_gpio_hardware_is_reported_once_and_pods_are_still_served()
    {
        await using var daemon = new DaemonProcess(", \"leds\": [ { \"name\": \"power\", \"role\": \"power\", \"backend\": \"gpio\", \"chip\": \"gpiochip7\", \"line\": 4 } ]");
        await daemon.StartAgainAsync();

        var status = daemon.Ask<Yurtnet.Protocol.StatusResponse>(new Yurtnet.Protocol.StatusRequest());
        await daemon.WaitForLogAsync("LED power not used", TimeSpan.FromSeconds(2));

        Assert.True(status.Ready);
        Assert.Contains("LED power not used: GPIO chip \"gpiochip7\" line 4", daemon.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Led_on_a_gpio_line_name_nobody_has_is_reported_once_and_pods_are_still_served()
    {
        await using var daemon = new DaemonProcess(", \"leds\": [ { \"name\": \"cloud\", \"role\": \"cloud\", \"line\": \"YN_NO_SUCH_LINE\" } ]");
        await daemon.StartAgainAsync();

        var status = daemon.Ask<Yurtnet.Protocol.StatusResponse>(new Yurtnet.Protocol.StatusRequest());
        Assert.True(await daemon.WaitForLogAsync("LED cloud not used"), daemon.Log);

        Assert.True(status.Ready);
        var report = daemon.Log.Split('\n').Single(l => l.Contains("LED cloud not used", StringComparison.Ordinal));
        Assert.True(report.Contains("no GPIO line named \"YN_NO_SUCH_LINE\"", StringComparison.Ordinal) || report.Contains("this system has no GPIO chips", StringComparison.Ordinal), report);
    }

    [Fact]
    public void Relative_config_path_is_read_from_the_working_directory()
    {
        var dir = Directory.CreateTempSubdirectory("yurtnet-cfg-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "relative.json"), "{ \"leaseHold\": \"3h\" }");
            var start = new System.Diagnostics.ProcessStartInfo(Binaries.Daemon, ["--check-config", "--config", "relative.json"])
            {
                WorkingDirectory = dir.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = System.Diagnostics.Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();

            Assert.Equal(0, process.ExitCode);
            Assert.Contains($"{dir.FullName}/relative.json OK", output, StringComparison.Ordinal);
            Assert.Contains("leaseHold 03:00:00", output, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Leds_test_names_each_led_in_turn_and_says_which_cannot_light()
    {
        await using var daemon = new DaemonProcess(", \"leds\": [ { \"name\": \"spare\", \"role\": \"activity\", \"backend\": \"none\" }, { \"name\": \"fault\", \"role\": \"fault\", \"backend\": \"gpio\", \"chip\": \"gpiochip9\", \"line\": 2 } ]");
        await daemon.StartAgainAsync();
        await daemon.WaitForLogAsync("LED fault not used", TimeSpan.FromSeconds(2));

        var test = daemon.Ctl("leds", "test");
        var status = daemon.Ctl("status");

        Assert.Equal(1, test.Code);
        Assert.Contains("spare (activity): lit for 1.5 s", test.Output, StringComparison.Ordinal);
        Assert.Contains("fault (fault): not available: GPIO chip \"gpiochip9\" line 2", test.Output, StringComparison.Ordinal);
        Assert.Contains("led       spare (activity, none): flash", status.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Daemon_refuses_a_bad_config_naming_the_key()
    {
        await using var daemon = new DaemonProcess(", \"pendingTimeout\": \"soon\"");

        var run = TestNetns.Run(Binaries.Daemon, "--config", daemon.ConfigPath);

        Assert.Equal(2, run.Code);
        Assert.Contains("pendingTimeout: \"soon\" is not a duration", run.Output, StringComparison.Ordinal);
    }

    [RootTheory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public async Task Daemon_restarted_in_the_middle_of_a_burst_of_adds_fails_no_pod_start(string signal)
    {
        await using var daemon = new DaemonProcess();
        await daemon.StartHeldAsync();
        using var network = new TestNetwork(daemon, "v4");
        var pods = Enumerable.Range(0, 20).Select(_ => new TestNetns()).ToList();
        try
        {
            var done = 0;
            var burst = Parallel.ForEachAsync(Enumerable.Range(0, pods.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, (i, _) =>
            {
                var add = CniRun.Exec("ADD", network.Conf(), $"c{i}", pods[i].Path, args: CniRun.PodArgs($"p{i}"));
                Assert.True(add.ExitCode == 0, $"pod {i}: {add}");
                Interlocked.Increment(ref done);
                return ValueTask.CompletedTask;
            });
            foreach (var after in new[] { 4, 12 })
            {
                Assert.True(await Eventually.WaitForAsync(() => Volatile.Read(ref done) >= after || burst.IsCompleted));
                var pid = daemon.DaemonPid;
                Assert.Equal(0, TestNetns.Run("kill", "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Code);
                Assert.True(await Eventually.WaitForAsync(() => daemon.DaemonPid != pid));
            }

            await burst;

            var leases = await daemon.LeasesAsync();
            Assert.Equal(20, leases.Count);
            Assert.All(leases, l => Assert.Equal("active", l.State));
            Assert.Equal(20, leases.Select(l => l.Ip).Distinct().Count());
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }

    [RootFact]
    public async Task Frozen_daemon_killed_as_systemds_watchdog_does_fails_no_add_that_waited_for_it()
    {
        // The unit's WatchdogSignal= (systemd's default: SIGABRT, then SIGCONT). The ADD waits in the socket's queue;
        // the successor answers it. If the dying yurtnetd accepts it while the core dump starts (its threads run for a
        // moment after SIGCONT: seen under emulation), the connection breaks and the plugin sends it once more.
        var unit = File.ReadAllText(Path.Combine(Binaries.RepositoryRoot, "systemd", "yurtnetd.service"));
        var configured = System.Text.RegularExpressions.Regex.Match(unit, @"^WatchdogSignal=SIG(\w+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        var signal = configured.Success ? configured.Groups[1].Value : "ABRT";
        await using var daemon = new DaemonProcess();
        await daemon.StartHeldAsync();
        using var network = new TestNetwork(daemon, "v4");
        var pods = Enumerable.Range(0, 5).Select(_ => new TestNetns()).ToList();
        try
        {
            for (var i = 0; i < pods.Count; i++)
            {
                var pid = daemon.DaemonPid.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(0, TestNetns.Run("kill", "-STOP", pid).Code);
                var pod = pods[i].Path;
                var name = $"q{i}";
                var add = Task.Run(() => CniRun.Exec("ADD", network.Conf(), name, pod, args: CniRun.PodArgs(name)));
                Assert.True(await Eventually.WaitForAsync(() => QueuedConnections(daemon.Socket) >= 1), "the ADD's connection never reached the socket's queue");

                Assert.Equal(0, TestNetns.Run("kill", "-" + signal, pid).Code);
                if (signal != "KILL")
                {
                    Assert.Equal(0, TestNetns.Run("kill", "-CONT", pid).Code);
                }

                var run = await add;
                Assert.True(run.ExitCode == 0, run.ToString());
                Assert.NotEqual(pid, daemon.DaemonPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var leases = await daemon.LeasesAsync();
            Assert.Equal(pods.Count, leases.Count);
            Assert.All(leases, l => Assert.Equal("active", l.State));
            Assert.Equal(pods.Count, leases.Select(l => l.Ip).Distinct().Count());
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }

    /// <summary>Connections waiting in a listening Unix socket's accept queue (its Recv-Q in <c>ss</c>).</summary>
    private static int QueuedConnections(string socket)
    {
        var ss = TestNetns.Run("ss", "-xlnH", "src", socket);
        var fields = ss.Output.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return ss.Code == 0 && fields.Length > 2 ? int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [RootFact]
    public async Task Daemon_whose_socket_server_fails_exits_non_zero_so_systemd_restarts_it()
    {
        await using var daemon = new DaemonProcess();
        Directory.CreateDirectory(Path.GetDirectoryName(daemon.Socket)!);
        Directory.CreateDirectory(daemon.Socket);
        File.WriteAllText(Path.Combine(daemon.Socket, "keep"), "a directory where the socket should be");

        var run = TestNetns.Run(Binaries.Daemon, "--config", daemon.ConfigPath);

        Assert.NotEqual(0, run.Code);
        Assert.Contains("CniSocketServer failed", run.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public async Task Damaged_store_is_rebuilt_from_the_runtimes_result_cache_and_no_address_is_handed_out_twice()
    {
        // In a gateway namespace of its own: after damage the rebuild also reads the host's veths, and those of other
        // tests' pods are not this gateway's.
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon);
        using var a = new TestNetns();
        using var b = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "ca", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name);
        var addB = CniRun.Exec("ADD", network.Conf(), "cb", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name);
        CniResultCache.Write(daemon.CniResultsDir, network.Conf(), "ca", "eth0", a.Path, CniRun.PodArgs("a"), addA.Stdout);
        CniResultCache.Write(daemon.CniResultsDir, network.Conf(), "cb", "eth0", b.Path, CniRun.PodArgs("b"), addB.Stdout);
        var before = (await daemon.LeasesAsync()).Select(l => (l.Ip, l.ContainerId)).Order().ToList();
        KillAndDamageStore(daemon);

        await daemon.StartInNetnsAsync(gw.Name);
        var rebuilt = await daemon.LeasesAsync();
        using var c = new TestNetns();
        var addC = CniRun.Exec("ADD", network.Conf(), "cc", c.Path, args: CniRun.PodArgs("c"), inNetns: gw.Name);

        Assert.Contains("could not be read and was moved to", daemon.Log, StringComparison.Ordinal);
        Assert.Equal(before, rebuilt.Select(l => (l.Ip, l.ContainerId)).Order().ToList());
        Assert.All(rebuilt, l => Assert.Equal("active", l.State));
        var given = addC.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!.Split('/')[0]);
        Assert.Empty(given.Intersect(before.Select(l => l.Ip)));
        CniRun.Exec("DEL", network.Conf(), "ca", a.Path, inNetns: gw.Name);
        Assert.All((await daemon.LeasesAsync()).Where(l => l.ContainerId == CniRun.ContainerId("ca", network.Conf())), l => Assert.Equal("held", l.State));
        CniRun.Exec("DEL", network.Conf(), "cb", b.Path, inNetns: gw.Name);
        CniRun.Exec("DEL", network.Conf(), "cc", c.Path, inNetns: gw.Name);
    }

    [RootFact]
    public async Task Damaged_store_without_the_runtimes_cache_reserves_the_addresses_of_our_live_veths_until_they_are_gone()
    {
        // In a gateway namespace of its own: the veths of other tests' pods are not this gateway's.
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "dual");
        using var a = new TestNetns();
        using var d = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "ca", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name);
        var addD = CniRun.Exec("ADD", network.Conf(), "cd", d.Path, args: CniRun.PodArgs("d"), inNetns: gw.Name);
        Assert.True(addA.ExitCode == 0 && addD.ExitCode == 0, addA + "\n" + addD);
        static List<string> Addresses(CniRun add) => add.Json.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!.Split('/')[0]).ToList();
        var addressesA = Addresses(addA);
        var addressesD = Addresses(addD);

        // The runtime never wrote its cache (it crashed after the plugin's answers), and the store is lost.
        KillAndDamageStore(daemon);
        await daemon.StartInNetnsAsync(gw.Name);

        var vethA = HostVethName.For(CniRun.ContainerId("ca", network.Conf()), "eth0");
        var vethD = HostVethName.For(CniRun.ContainerId("cd", network.Conf()), "eth0");
        var reserved = (await daemon.LeasesAsync()).Where(l => l.ContainerId.StartsWith("hostveth/", StringComparison.Ordinal)).ToList();
        Assert.Equal(addressesA.Concat(addressesD).Order(), reserved.Select(l => l.Ip).Order());
        Assert.All(reserved, l => Assert.Equal(("active", "(unknown)"), (l.State, l.Network)));

        // A pass while the veths live keeps the reservations; a new pod gets other addresses and reaches the old ones.
        Assert.Empty(daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs);
        using var b = new TestNetns();
        var addB = CniRun.Exec("ADD", network.Conf(), "cb", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name);
        Assert.True(addB.ExitCode == 0, addB.ToString());
        Assert.Empty(Addresses(addB).Intersect(addressesA.Concat(addressesD)));
        Assert.Equal(0, b.Exec("ping", "-c1", "-W2", addressesA[0]).Code);

        // The runtime's retry of a's ADD takes its reservation back: same addresses, its own lease again.
        var again = CniRun.Exec("ADD", network.Conf(), "ca", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(addressesA, Addresses(again));
        Assert.Contains(await daemon.LeasesAsync(), l => l.ContainerId == CniRun.ContainerId("ca", network.Conf()) && l.Pod == "default/a");
        Assert.DoesNotContain(await daemon.LeasesAsync(), l => l.ContainerId == "hostveth/" + vethA);

        // d's DEL takes its veth; the next pass frees its reservation.
        Assert.Equal(0, CniRun.Exec("DEL", network.Conf(), "cd", d.Path, inNetns: gw.Name).ExitCode);
        var repairs = daemon.Ask<ReclaimResponse>(new ReclaimRequest()).HostRepairs;
        Assert.Equal(addressesD.Count, repairs.Count(r => r.Contains($"reserved for host veth {vethD}", StringComparison.Ordinal)));
        Assert.DoesNotContain(await daemon.LeasesAsync(), l => l.ContainerId.StartsWith("hostveth/", StringComparison.Ordinal));
        CniRun.Exec("DEL", network.Conf(), "ca", a.Path, inNetns: gw.Name);
        CniRun.Exec("DEL", network.Conf(), "cb", b.Path, inNetns: gw.Name);
    }

    [RootFact]
    public async Task After_damage_no_address_is_given_until_the_host_veths_are_read_also_across_a_restart()
    {
        using var gw = new TestNetns("yns-gw");
        await using var daemon = new DaemonProcess();
        await daemon.StartInNetnsAsync(gw.Name);
        using var network = new TestNetwork(daemon, "v4");
        using var a = new TestNetns();
        var addA = CniRun.Exec("ADD", network.Conf(), "ca", a.Path, args: CniRun.PodArgs("a"), inNetns: gw.Name);
        Assert.True(addA.ExitCode == 0, addA.ToString());
        var addressA = addA.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0];
        KillAndDamageStore(daemon);
        var marker = Path.Combine(daemon.StateDir, "rebuild-from-host-veths.pending");

        // Without CAP_NET_ADMIN the peers' addresses cannot be read: an ADD is refused rather than given a's address.
        await daemon.StartInNetnsWithoutCapabilitiesAsync(gw.Name);
        using var b = new TestNetns();
        var refused = CniRun.Exec("ADD", network.Conf(), "cb", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name);
        Assert.True(refused.ExitCode != 0 && refused.ErrorCode == 11, refused.ToString());
        Assert.Contains("could not be read from the host", refused.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(marker), daemon.Log);

        // Restarted (the damaged file is already set aside: the store looks clean), the marker still owes the rebuild.
        daemon.Kill();
        await daemon.StartInNetnsAsync(gw.Name);
        var added = CniRun.Exec("ADD", network.Conf(), "cb", b.Path, args: CniRun.PodArgs("b"), inNetns: gw.Name);

        Assert.True(added.ExitCode == 0, added.ToString() + daemon.Log);
        Assert.NotEqual(addressA, added.Json.GetProperty("ips")[0].GetProperty("address").GetString()!.Split('/')[0]);
        Assert.Contains(await daemon.LeasesAsync(), l => l.Ip == addressA && l.ContainerId.StartsWith("hostveth/", StringComparison.Ordinal));
        Assert.False(File.Exists(marker));
        CniRun.Exec("DEL", network.Conf(), "ca", a.Path, inNetns: gw.Name);
        CniRun.Exec("DEL", network.Conf(), "cb", b.Path, inNetns: gw.Name);
    }

    /// <summary>A power cut that left the store unreadable: yurtnetd killed, state.db overwritten with garbage, its log gone.</summary>
    private static void KillAndDamageStore(DaemonProcess daemon)
    {
        daemon.Kill();
        File.WriteAllBytes(Path.Combine(daemon.StateDir, "state.db"), Enumerable.Repeat((byte)0x5a, 16384).ToArray());
        File.Delete(Path.Combine(daemon.StateDir, "state-log.db"));
    }
}
