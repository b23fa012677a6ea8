using Yurtnet.Protocol;

namespace Yurtnet.Cni;

internal sealed partial class Plugin
{
    private static readonly TimeSpan StatusConnectBudget = TimeSpan.FromSeconds(1);

    /// <summary>STATUS: can yurtnetd serve an ADD on this network? Polled every few seconds by containerd 2.1+.</summary>
    private async Task<byte[]> StatusAsync(CancellationToken cancellationToken)
    {
        RequireVersion("STATUS");
        using var client = await ConnectAsync(conf.DaemonWait < StatusConnectBudget ? conf.DaemonWait : StatusConnectBudget, CniError.PluginNotAvailable, cancellationToken);
        StatusResponse status;
        try
        {
            status = await AskAsync<StatusResponse>(client, new StatusRequest { Subnets = conf.Subnets.Select(s => s.ToString()).ToList() }, cancellationToken);
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

    /// <summary>GC: release every lease of this network whose attachment the runtime no longer knows.</summary>
    private async Task<byte[]> GcAsync(CancellationToken cancellationToken)
    {
        RequireVersion("GC");
        using var client = await ConnectAsync(conf.DaemonWait, CniError.TryAgainLater, cancellationToken);
        var collected = await AskAsync<GcResponse>(client, new GcRequest { Network = conf.Name, ValidAttachments = conf.ValidAttachments ?? [] }, cancellationToken);
        log.Info($"GC released {collected.Released} lease(s)");
        return [];
    }

    private void RequireVersion(string verb)
    {
        if (!CniVersion.AllowsStatusAndGc(conf.CniVersion))
        {
            throw new CniException(new CniError(CniError.IncompatibleVersion, $"configuration version {conf.CniVersion} does not allow {verb} (needs 1.1.0)"));
        }
    }
}
