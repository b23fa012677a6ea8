using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    /// <summary>CHECK: the netns must match prevResult, and yurtnetd must hold the attachment's lease as active.</summary>
    private byte[] Check()
    {
        if (!CniVersion.AllowsCheck(conf.CniVersion))
        {
            throw new CniException(new CniError(CniError.IncompatibleVersion, $"configuration version {conf.CniVersion} does not allow CHECK (needs 0.4.0 or later)"));
        }

        if (conf.PrevResult is null)
        {
            throw new CniException(new CniError(CniError.InvalidNetworkConfig, "prevResult: required for CHECK", "the runtime passes the ADD result as prevResult"));
        }

        RequireNetns();
        RepairHost(conf.PrevResult);
        var problems = PodPlumbing.Inspect(conf, env, conf.PrevResult);
        using var client = Connect(conf.DaemonWait, CniError.TryAgainLater);
        var lease = Ask<CheckResponse>(client, new CheckRequest { ContainerId = env.ContainerId, IfName = env.IfName, Network = conf.Name });
        if (!lease.Active)
        {
            problems.Add("yurtnetd holds no active lease for this attachment");
        }

        foreach (var ip in conf.PrevResult.Ips)
        {
            if (!lease.Addresses.Contains(ip.Cidr))
            {
                problems.Add($"address {ip.Cidr} is not leased to this attachment (yurtnetd has {string.Join(", ", lease.Addresses)})");
            }
        }

        if (problems.Count > 0)
        {
            throw new CniException(new CniError(YurtnetErrorCode.CheckMismatch, $"attachment does not match its ADD result: {string.Join("; ", problems)}", "the runtime should recreate the pod sandbox"));
        }

        return [];
    }

    /// <summary>
    /// Before comparing: what the pod shares with the host and another program removed (the bridge, its addresses, the
    /// pod's port, forwarding, the masquerade chain after an nft flush) is put back, and said in the log. The pod's own
    /// namespace is only inspected: a mismatch there is the runtime's to fix, by recreating the sandbox.
    /// </summary>
    private void RepairHost(CniResult expected)
    {
        var repaired = PodPlumbing.RepairHost(conf, env, expected);
        if (conf.IpMasq)
        {
            var subnets = MasqueradeSubnets(expected.Ips.Select(ip => PodAddress.NetworkOf(ip.Address, ip.PrefixLength)));
            if (subnets.Count > 0 && EnsureMasquerade(subnets))
            {
                repaired.Add("the masquerade chain was gone (nft flush ruleset?): installed again");
            }
        }

        foreach (var repair in repaired)
        {
            log.Warn($"repaired: {repair}");
        }
    }
}
