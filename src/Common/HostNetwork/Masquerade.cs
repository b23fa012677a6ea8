using System.Net;
using System.Net.Sockets;
using System.Text;
using Yurtnet.Netlink;
using Yurtnet.Protocol;

namespace Yurtnet.HostNetwork;

/// <summary>
/// Source NAT for traffic from a network's pod subnets to anything outside them but the exempt destinations (the other
/// gateways' pod CIDRs and <c>nodePool.nonMasqueradeCidrs</c>, in sets yurtnetd fills): one nftables table
/// <c>inet yurtnet</c> with one postrouting chain per network. Shared by the plugin (which installs a chain with a
/// network's first pod and removes it with its last DEL) and yurtnetd (which puts it back after another program
/// removed it and removes it when the last lease went by another path than a DEL): linked into both.
/// </summary>
/// <remarks>
/// <c>nft</c> is exec'd only when the rule set must change. A marker file per network and subnet set, kept in
/// the run directory (a tmpfs, emptied at boot like the kernel's rule set), says the chain is installed. An ADD
/// checks the marker under a shared lock after its address is allocated; a DEL holds the exclusive lock from
/// its release (whose answer says whether the network became idle) until the chain is gone, and yurtnetd holds it
/// from its look at the leases until the chain is gone. So a chain is never removed under a pod that an ADD has just
/// given an address.
/// </remarks>
internal sealed class Masquerade(string runDirectory)
{
    private const string Table = Nftables.Table;
    private readonly string _markerDirectory = Path.Combine(runDirectory, "masq");

    /// <summary>
    /// Makes sure the network's chain exists with rules for exactly <paramref name="subnets"/>. The marker says what
    /// was installed; the kernel is asked whether it is still there (a reload of nftables.service flushes every table),
    /// over netlink, without an exec. Returns true when a chain the marker promised was missing and was installed again.
    /// </summary>
    /// <exception cref="TimeoutException">Another plugin held the masquerade lock for <paramref name="lockTimeout"/>.</exception>
    /// <exception cref="NftablesException">nft failed or did not finish in time; <see cref="Hint"/> says what to do.</exception>
    public bool Ensure(string network, IReadOnlyList<IPNetwork> subnets, TimeSpan lockTimeout) => Ensure(network, subnets, lockTimeout, lockTimeout);

    /// <summary>As <see cref="Ensure(string, IReadOnlyList{IPNetwork}, TimeSpan)"/>, with its own bound for the nft run.</summary>
    public bool Ensure(string network, IReadOnlyList<IPNetwork> subnets, TimeSpan lockTimeout, TimeSpan nftTimeout)
    {
        var marker = MarkerPath(network, subnets);
        var chain = HostNames.MasqueradeChain(network);
        using (Lock(Interop.LOCK_SH, lockTimeout))
        {
            if (File.Exists(marker) && ChainPresent(chain))
            {
                return false;
            }
        }

        using (Lock(Interop.LOCK_EX, lockTimeout))
        {
            var promised = File.Exists(marker);
            if (promised && ChainPresent(chain))
            {
                return false;
            }

            RunNft(InstallScript(chain, subnets), $"install masquerade for network \"{network}\"", nftTimeout);
            RemoveMarkers(chain);
            File.WriteAllBytes(marker, []);
            return promised;
        }
    }

    /// <summary>Whether the chain is in the kernel; when the kernel cannot be asked, the marker's word stands.</summary>
    private static bool ChainPresent(string chain)
    {
        try
        {
            return Nftables.InetChainExists(Table, chain);
        }
        catch (NetlinkException)
        {
            return true;
        }
    }

    /// <summary>Whether a marker says the network's chain was installed since boot (a look at the run directory, no lock).</summary>
    public bool Installed(string network) => InstalledChains().Contains(HostNames.MasqueradeChain(network));

    /// <summary>The chains markers say were installed since boot (by any network, also one no lease names any more).</summary>
    public HashSet<string> InstalledChains() =>
        Directory.Exists(_markerDirectory)
            ? Directory.EnumerateFiles(_markerDirectory).Select(Path.GetFileName).OfType<string>()
                .Where(f => f.StartsWith("net_", StringComparison.Ordinal) && f.Contains('.', StringComparison.Ordinal))
                .Select(f => f[..f.LastIndexOf('.')]).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>Takes the exclusive lock for a release; hold it while the chain is removed.</summary>
    /// <exception cref="TimeoutException">Another plugin held the lock for <paramref name="timeout"/>.</exception>
    public IDisposable HoldForRelease(TimeSpan timeout) => Lock(Interop.LOCK_EX, timeout);

    /// <summary>
    /// Removes the network's chain if this gateway installed it since boot; call while holding
    /// <see cref="HoldForRelease"/>. Returns false when there was nothing to remove (no nft exec).
    /// </summary>
    /// <exception cref="NftablesException">nft failed or did not finish <paramref name="within"/> (then it is killed).</exception>
    public bool RemoveIfInstalled(string network, TimeSpan within) => RemoveChainIfInstalled(HostNames.MasqueradeChain(network), within);

    /// <summary>As <see cref="RemoveIfInstalled"/>, by the chain's name (a chain whose network no lease names any more).</summary>
    /// <exception cref="NftablesException">nft failed or did not finish <paramref name="within"/> (then it is killed).</exception>
    public bool RemoveChainIfInstalled(string chain, TimeSpan within)
    {
        if (!InstalledChains().Contains(chain))
        {
            return false;
        }

        RunNft(RemoveScript(chain), $"remove masquerade chain {chain}", within);
        RemoveMarkers(chain);
        return true;
    }

    internal static string InstallScript(string chain, IReadOnlyList<IPNetwork> subnets)
    {
        // The exemption sets first: the rules refer to them (yurtnetd fills them with every known pod CIDR).
        var s = new StringBuilder(Nftables.ExemptSets);
        s.Append("add chain inet ").Append(Table).Append(' ').Append(chain).Append(" { type nat hook postrouting priority srcnat; policy accept; }\n");
        s.Append("flush chain inet ").Append(Table).Append(' ').Append(chain).Append('\n');
        foreach (var subnet in subnets)
        {
            var (family, multicast) = subnet.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? ("ip6", "ff00::/8") : ("ip", "224.0.0.0/4");
            s.Append("add rule inet ").Append(Table).Append(' ').Append(chain)
             .Append(' ').Append(family).Append(" saddr ").Append(subnet)
             .Append(' ').Append(family).Append(" daddr != ").Append(subnet)
             .Append(' ').Append(family).Append(" daddr != ").Append(multicast)
             .Append(' ').Append(family).Append(" daddr != @").Append(Nftables.ExemptSet(subnet.BaseAddress.AddressFamily))
             .Append(" masquerade\n");
        }

        return s.ToString();
    }

    internal static string RemoveScript(string chain) =>
        // add-then-delete makes removal idempotent on nft versions without 'destroy'.
        $"add table inet {Table}\nadd chain inet {Table} {chain} {{ type nat hook postrouting priority srcnat; policy accept; }}\ndelete chain inet {Table} {chain}\n";

    private string MarkerPath(string network, IReadOnlyList<IPNetwork> subnets)
    {
        // "v2": chains installed before the exemption sets existed are installed again.
        var key = "v2:" + string.Join(",", subnets.Select(s => s.ToString()));
        return Path.Combine(_markerDirectory, $"{HostNames.MasqueradeChain(network)}.{HostVethName.Fnv1a(key):x16}");
    }

    private void RemoveMarkers(string chain)
    {
        if (!Directory.Exists(_markerDirectory))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(_markerDirectory, chain + ".*"))
        {
            File.Delete(file);
        }
    }

    private FileLock Lock(int operation, TimeSpan timeout)
    {
        Directory.CreateDirectory(_markerDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return FileLock.Acquire(Path.Combine(_markerDirectory, ".lock"), operation, timeout);
    }

    /// <summary>What an operator does about a failed nft run.</summary>
    public static string Hint(NftablesException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Failure switch
        {
            NftablesFailure.Missing => "install the nftables package, or set \"ipMasq\": false in the conflist",
            NftablesFailure.TimedOut => "check what holds the nftables lock or hangs in the kernel (nft list ruleset)",
            _ => "check that the kernel has nf_tables with NAT (nft list ruleset)",
        };
    }

    /// <summary>Runs <c>nft -f -</c> on <paramref name="script"/>; one that does not finish <paramref name="within"/> is killed.</summary>
    private static void RunNft(string script, string what, TimeSpan within)
    {
        try
        {
            Nftables.Run(script, within);
        }
        catch (NftablesException ex)
        {
            throw new NftablesException(ex.Failure, $"{what}: {ex.Message}");
        }
    }
}
