using System.Net;
using Microsoft.Extensions.Logging;
using Yurtnet.Netlink;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// No NAT inside the cluster: fills the exemption sets that every network's masquerade chain refers to with this
/// gateway's and every admitted peer's pod CIDRs and <c>nodePool.nonMasqueradeCidrs</c>. Runs <c>nft</c> only when what
/// the sets must hold changed or the sets it filled are gone: a reload of nftables.service flushes every table, and a
/// plugin that installs a network's chain again afterwards declares the sets anew, empty. A set is known by its kernel
/// and its table's handles, which a set made again does not keep.
/// </summary>
internal sealed partial class MasqueradeExemption(ILogger<MasqueradeExemption> logger)
{
    private static readonly TimeSpan NftTimeout = TimeSpan.FromSeconds(10);
    private string? _applied;
    private ((ulong, ulong)? V4, (ulong, ulong)? V6) _filled;
    private string? _problem;

    /// <summary>Makes the sets hold <paramref name="networks"/>; returns null, or why they could not be filled.</summary>
    public string? Sync(IReadOnlyCollection<IPNetwork> networks)
    {
        ArgumentNullException.ThrowIfNull(networks);
        var script = Nftables.FillExemptSetsScript(networks);
        try
        {
            if (script == _applied && _filled.V4 is not null && _filled == Handles())
            {
                return null;
            }

            Nftables.Run(script, NftTimeout);
            _applied = script;
            _filled = Handles();
            _problem = null;
            LogFilled(logger, networks.Count, string.Join(", ", networks.Take(8)) + (networks.Count > 8 ? ", …" : ""));
            return null;
        }
        catch (Exception ex) when (ex is NftablesException or NetlinkException)
        {
            _applied = null;
            _filled = default;
            if (_problem != ex.Message)
            {
                LogFailed(logger, ex.Message);
                _problem = ex.Message;
            }

            return ex.Message;
        }
    }

    private static ((ulong, ulong)? V4, (ulong, ulong)? V6) Handles() =>
        (Nftables.InetSetIdentity(Nftables.Table, "nomasq4"), Nftables.InetSetIdentity(Nftables.Table, "nomasq6"));
}
