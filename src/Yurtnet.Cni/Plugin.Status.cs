using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    private static readonly TimeSpan StatusConnectBudget = TimeSpan.FromSeconds(1);

    /// <summary>STATUS: can yurtnetd serve an ADD on this network? Polled every few seconds by containerd 2.1+.</summary>
    private byte[] Status()
    {
        RequireVersion("STATUS");
        using var client = Connect(conf.DaemonWait < StatusConnectBudget ? conf.DaemonWait : StatusConnectBudget, CniError.PluginNotAvailable);
        StatusResponse status;
        try
        {
            status = Ask<StatusResponse>(client, new StatusRequest { Subnets = conf.Subnets.Select(s => s.ToString()).ToList(), Network = conf.Name });
        }
        catch (CniException ex)
        {
            throw new CniException(ex.Error with { Code = CniError.PluginNotAvailable });
        }

        if (!status.Ready)
        {
            throw new CniException(new CniError(CniError.PluginNotAvailable, $"yurtnetd cannot serve ADD: {status.Reason}"));
        }

        return [];
    }
}
