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
}
