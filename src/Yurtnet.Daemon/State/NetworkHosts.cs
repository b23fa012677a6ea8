using System.Net;
using LiteDB;
using Microsoft.Extensions.Logging;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.State;

/// <summary>
/// What each network shares with the host (bridge, gateway, MTU, masquerade), as the plugin last reported it with a
/// commit: the reconciler puts it back when another program removed it, also after yurtnetd restarted. Kept as fact
/// documents; written only when a network's shape changes, so a commit costs no extra write in the steady state.
/// </summary>
internal sealed partial class NetworkHosts(StateStore store, ILogger<NetworkHosts> logger) : IDisposable
{
    internal const string IdPrefix = "networkHost/";
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, NetworkHost>? _hosts;

    /// <summary>Every network's shape known now (read from the store on first use; empty while it cannot be read).</summary>
    public async Task<IReadOnlyDictionary<string, NetworkHost>> AllAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return new Dictionary<string, NetworkHost>(Loaded(), StringComparer.Ordinal);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Records <paramref name="host"/> for <paramref name="network"/> when it differs from what is known. A shape that is
    /// not valid is logged and not kept (the commit it came with still counts). A store that cannot be written keeps it
    /// in memory only: the repair needs no durability for its answers, and the next commit writes it again.
    /// </summary>
    public async Task RecordAsync(string network, NetworkHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(host);
        if (Problem(host) is { } problem)
        {
            LogInvalid(logger, network, problem);
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var hosts = Loaded();
            if (hosts.TryGetValue(network, out var known) && Same(known, host))
            {
                return;
            }

            hosts[network] = host;
            try
            {
                await store.ApplyAsync([ToDocument(network, host)], cancellationToken);
            }
            catch (StoreUnavailableException ex)
            {
                LogNotStored(logger, network, ex.Message);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>What makes a reported shape unusable for a repair, or null.</summary>
    internal static string? Problem(NetworkHost host)
    {
        if (Yurtnet.Netlink.InterfaceName.Problem(host.Bridge) is { } bridge)
        {
            return $"bridge {bridge}";
        }

        if (host.Mtu is < 68 or > 65535)
        {
            return $"mtu {host.Mtu} is outside 68..65535";
        }

        return host.MasqueradeSubnets.FirstOrDefault(s => !IPNetwork.TryParse(s, out _)) is { } subnet ? $"masquerade subnet \"{subnet}\" is not a CIDR" : null;
    }

    private Dictionary<string, NetworkHost> Loaded()
    {
        if (_hosts is not null)
        {
            return _hosts;
        }

        try
        {
            _hosts = store.LoadFacts(IdPrefix).Select(FromDocument).OfType<KeyValuePair<string, NetworkHost>>().ToDictionary(StringComparer.Ordinal);
            return _hosts;
        }
        catch (StoreUnavailableException)
        {
            // Not cached: read again once the store opens.
            return [];
        }
    }

    private static bool Same(NetworkHost a, NetworkHost b) =>
        a.Bridge == b.Bridge && a.IsGateway == b.IsGateway && a.Mtu == b.Mtu && a.IpMasq == b.IpMasq && a.MasqueradeSubnets.SequenceEqual(b.MasqueradeSubnets, StringComparer.Ordinal);

    internal static BsonDocument ToDocument(string network, NetworkHost host) => new()
    {
        ["_id"] = IdPrefix + network,
        ["bridge"] = host.Bridge,
        ["isGateway"] = host.IsGateway,
        ["mtu"] = host.Mtu,
        ["ipMasq"] = host.IpMasq,
        ["masqueradeSubnets"] = new BsonArray(host.MasqueradeSubnets.Select(s => new BsonValue(s))),
    };

    /// <summary>The shape in a fact document, or null when the document cannot be read as one (it is then ignored).</summary>
    internal static KeyValuePair<string, NetworkHost>? FromDocument(BsonDocument document)
    {
        try
        {
            var host = new NetworkHost
            {
                Bridge = document["bridge"].AsString,
                IsGateway = document["isGateway"].AsBoolean,
                Mtu = document["mtu"].AsInt32,
                IpMasq = document["ipMasq"].AsBoolean,
                MasqueradeSubnets = document["masqueradeSubnets"].AsArray.Select(v => v.AsString).ToList(),
            };
            return host.Bridge is null || Problem(host) is not null ? null : new(document["_id"].AsString[IdPrefix.Length..], host);
        }
        catch (Exception ex) when (ex is InvalidCastException or NullReferenceException or ArgumentException)
        {
            return null;
        }
    }

    public void Dispose() => _gate.Dispose();
}
