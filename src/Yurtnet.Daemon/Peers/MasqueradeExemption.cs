using System.Net;
using Microsoft.Extensions.Logging;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// No NAT inside the cluster: fills the exemption sets that every network's masquerade chain refers to with this
/// gateway's and every admitted peer's pod CIDRs and <c>nodePool.nonMasqueradeCidrs</c>. Runs <c>nft</c> only when what
/// the sets must hold changed or what it put in them is gone: a reload of nftables.service flushes every table, and a
/// plugin that installs a network's chain again afterwards declares the sets anew, empty. So the check is not whether
/// the sets exist but whether each set that must hold something holds anything (the kernel merges the elements into
/// ranges, so their text is not compared).
/// </summary>
internal sealed partial class MasqueradeExemption(ILogger<MasqueradeExemption> logger)
{
    private static readonly TimeSpan NftTimeout = TimeSpan.FromSeconds(10);
    private string? _applied;
    private string? _problem;

    /// <summary>Makes the sets hold <paramref name="networks"/>; returns null, or why they could not be filled.</summary>
    public string? Sync(IReadOnlyCollection<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var script = Nftables.FillExemptSetsScript(networks);
        try
        {
            if (script == _applied && StillFilled(networks))
            {
                return null;
            }

            Nftables.Run(script, NftTimeout);
            _applied = script;
            _problem = null;
            LogFilled(logger, networks.Count, string.Join(", ", networks.Take(8)) + (networks.Count > 8 ? ", …" : ""));
            return null;
        }
        catch (Exception ex) when (ex is NftablesException or NetlinkException)
        {
            _applied = null;
            if (_problem != ex.Message)
            {
                LogFailed(logger, ex.Message);
                _problem = ex.Message;
            }

            return ex.Message;
        }
    }

    /// <summary>Each set exists, and holds something when it must.</summary>
    private static bool StillFilled(IReadOnlyCollection<IPNetwork> networks) =>
        new[] { System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.AddressFamily.InterNetworkV6 }.All(family =>
            Nftables.InetSetHasElements(Nftables.Table, Nftables.ExemptSet(family)) is { } filled
            && (filled || !networks.Any(n => n.BaseAddress.AddressFamily == family)));
}
