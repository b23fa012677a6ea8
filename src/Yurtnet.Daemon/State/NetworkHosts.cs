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
    private readonly Dictionary<string, NetworkHost> _unsaved = new(StringComparer.Ordinal);
    private Dictionary<string, NetworkHost>? _saved;

    /// <summary>Every network's shape known now: what the store holds, and what it refused so far (kept in memory).</summary>
    public async Task<IReadOnlyDictionary<string, NetworkHost>> AllAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var all = new Dictionary<string, NetworkHost>(Saved(), StringComparer.Ordinal);
            foreach (var (network, host) in _unsaved)
            {
                all[network] = host;
            }

            return all;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Records <paramref name="host"/> for <paramref name="network"/> when it differs from what the store holds. A shape
    /// that is not valid is logged and not kept. One the store refuses (full, failing) is kept in memory and written by
    /// a later commit: it is counted as known only once it is on disk.
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
            var saved = Saved();
            if (saved.TryGetValue(network, out var known) && Same(known, host))
            {
                _unsaved.Remove(network);
                return;
            }

            try
            {
                await store.ApplyAsync([ToDocument(network, host)], cancellationToken);
                saved[network] = host;
                _unsaved.Remove(network);
            }
            catch (StoreUnavailableException ex)
            {
                _unsaved[network] = host;
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
        // The wire may carry nulls where the contract says "required".
        if (host.Bridge is null || host.MasqueradeSubnets is null || host.MasqueradeSubnets.Any(s => s is null))
        {
            return "bridge and masqueradeSubnets must be given, without nulls";
        }

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

    /// <summary>What the store holds, read on first use; empty (and read again next time) while it cannot be read.</summary>
    private Dictionary<string, NetworkHost> Saved()
    {
        if (_saved is not null)
        {
            return _saved;
        }

        try
        {
            _saved = store.LoadFacts(IdPrefix).Select(FromDocument).OfType<KeyValuePair<string, NetworkHost>>().ToDictionary(StringComparer.Ordinal);
            return _saved;
        }
        catch (StoreUnavailableException)
        {
            return new Dictionary<string, NetworkHost>(StringComparer.Ordinal);
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
