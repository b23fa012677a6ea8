using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Yurtnet.Netlink;

/// <summary>
/// What yurtnet asks nf_tables over netlink instead of exec'ing <c>nft</c>: a question that costs a round trip, not a
/// process. Changes to the rule set still go through <c>nft</c> (atomic scripts).
/// </summary>
public static class Nftables
{
    /// <summary>The one table yurtnet keeps its rules in.</summary>
    public const string Table = "yurtnet";

    /// <summary>
    /// The destinations never masqueraded (every known pod CIDR, the operator's <c>nonMasqueradeCidrs</c>): two interval
    /// sets in <see cref="Table"/>, filled by yurtnetd and referenced by each network's masquerade chain, which the
    /// plugin installs. Both declare them the same way (an <c>add</c> of an identical set is a no-op).
    /// </summary>
    public const string ExemptSets =
        "add table inet " + Table + "\n" +
        "add set inet " + Table + " nomasq4 { type ipv4_addr; flags interval; auto-merge; }\n" +
        "add set inet " + Table + " nomasq6 { type ipv6_addr; flags interval; auto-merge; }\n";

    /// <summary>The exemption set of a family.</summary>
    public static string ExemptSet(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "nomasq6" : "nomasq4";

    private static readonly string[] NftLocations = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"];

    /// <summary>
    /// The script that makes the exemption sets hold exactly <paramref name="networks"/> (one transaction: no moment
    /// with an empty set). Networks inside another one are left out; the kernel merges the rest.
    /// </summary>
    public static string FillExemptSetsScript(IEnumerable<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var all = networks.Distinct().ToList();
        var kept = all.Where(n => !all.Any(o => !o.Equals(n) && o.PrefixLength < n.PrefixLength && o.BaseAddress.AddressFamily == n.BaseAddress.AddressFamily && o.Contains(n.BaseAddress))).ToList();
        var s = new StringBuilder(ExemptSets);
        foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
        {
            s.Append("flush set inet ").Append(Table).Append(' ').Append(ExemptSet(family)).Append('\n');
            var elements = kept.Where(n => n.BaseAddress.AddressFamily == family).OrderBy(n => n.ToString(), StringComparer.Ordinal).ToList();
            if (elements.Count > 0)
            {
                s.Append("add element inet ").Append(Table).Append(' ').Append(ExemptSet(family)).Append(" { ").Append(string.Join(", ", elements)).Append(" }\n");
            }
        }

        return s.ToString();
    }

    /// <summary>
    /// Whether a set of an inet table holds any element: null when there is no such set. After <c>nft flush ruleset</c>
    /// a plugin that puts its chain back declares the sets anew, empty: a set of the name exists, what was in it does not.
    /// One dump of the set's elements, stopped at the first answer.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the question (no nf_tables, no privilege).</exception>
    public static bool? InetSetHasElements(string table, string set)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(set);
        using var socket = NetlinkSocket.Open("host", groups: 0, Interop.NETLINK_NETFILTER);
        var w = socket.Writer;
        w.Begin((ushort)((Interop.NFNL_SUBSYS_NFTABLES << 8) | Interop.NFT_MSG_GETSETELEM), Interop.NLM_F_REQUEST | Interop.NLM_F_DUMP);
        w.Append(new Interop.nfgenmsg { nfgen_family = Interop.NFPROTO_INET, version = Interop.NFNETLINK_V0 });
        w.Attribute(Interop.NFTA_SET_ELEM_LIST_TABLE, NulTerminated(table));
        w.Attribute(Interop.NFTA_SET_ELEM_LIST_SET, NulTerminated(set));
        List<byte[]> answers;
        try
        {
            answers = socket.Query($"NFT_MSG_GETSETELEM inet {table} {set}");
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            return null;
        }

        foreach (var answer in answers.Where(a => a.Length > 4))
        {
            var found = false;
            NetlinkAttributes.ForEach(answer.AsSpan(4), ref found, static (ref bool f, ushort type, ReadOnlySpan<byte> payload) =>
                f |= type == Interop.NFTA_SET_ELEM_LIST_ELEMENTS && payload.Length > 0);
            if (found)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Asks nf_tables for one object of an inet table by name: one request, no exec.</summary>
    private static bool Exists(byte message, ushort tableAttribute, string table, ushort nameAttribute, string name, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var socket = NetlinkSocket.Open("host", groups: 0, Interop.NETLINK_NETFILTER);
        var w = socket.Writer;
        w.Begin((ushort)((Interop.NFNL_SUBSYS_NFTABLES << 8) | message), Interop.NLM_F_REQUEST | Interop.NLM_F_ACK);
        w.Append(new Interop.nfgenmsg { nfgen_family = Interop.NFPROTO_INET, version = Interop.NFNETLINK_V0 });
        w.Attribute(tableAttribute, NulTerminated(table));
        w.Attribute(nameAttribute, NulTerminated(name));
        try
        {
            return socket.Query($"{what} inet {table} {name}").Count > 0;
        }
        catch (NetlinkException ex) when (ex.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs <c>nft -f -</c> on <paramref name="script"/> (atomic: all or nothing); one that does not finish
    /// <paramref name="within"/> is killed.
    /// </summary>
    /// <exception cref="NftablesException">nft is missing, failed (its message) or was killed.</exception>
    public static void Run(string script, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(script);
        var nft = NftLocations.FirstOrDefault(File.Exists) ?? throw new NftablesException(NftablesFailure.Missing, "nft not found");
        var start = new ProcessStartInfo(nft, "-f -")
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new NftablesException(NftablesFailure.Failed, $"cannot start {nft}");
        var stderrRead = process.StandardError.ReadToEndAsync();
        var stdoutRead = process.StandardOutput.ReadToEndAsync();
        try
        {
            process.StandardInput.Write(script);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // nft exited before it read the script (broken pipe): its exit code and stderr below say why.
        }

        if (!process.WaitForExit(within))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // It exited between the wait and the kill.
            }

            process.WaitForExit(TimeSpan.FromMilliseconds(200));
            throw new NftablesException(NftablesFailure.TimedOut, $"nft did not finish within {within.TotalSeconds:0.#} s and was killed");
        }

        process.WaitForExit();
        var stderr = stderrRead.Result;
        _ = stdoutRead.Result;
        if (process.ExitCode != 0)
        {
            throw new NftablesException(NftablesFailure.Failed, $"nft exited with {process.ExitCode}: {stderr.Trim()}");
        }
    }

    /// <summary>
    /// Whether the chain exists in the kernel now (an <c>nft flush ruleset</c> by a reload of nftables.service removes
    /// every table, whatever files say). Needs CAP_NET_ADMIN, as every nf_tables request does.
    /// </summary>
    /// <exception cref="NetlinkException">The kernel refused the question (no nf_tables, no privilege).</exception>
    public static bool InetChainExists(string table, string chain)
    =>
        Exists(Interop.NFT_MSG_GETCHAIN, Interop.NFTA_CHAIN_TABLE, table, Interop.NFTA_CHAIN_NAME, chain, "NFT_MSG_GETCHAIN");

    private static byte[] NulTerminated(string text) => [.. Encoding.UTF8.GetBytes(text), 0];
}
