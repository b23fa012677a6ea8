using System.Globalization;
using System.Net;
using Yurtnet.Daemon.Configuration;

namespace Yurtnet.Daemon.Peers;

/// <summary>
/// The <c>nodePool</c> section: routes from this gateway to the pod CIDRs of the other gateways of its site. On by
/// default with a <c>cluster</c> section (peers: the Nodes of this node's NodePool) or with a static <c>peers</c>
/// list; <c>enabled: false</c> turns it off and removes what yurtnet installed.
/// </summary>
internal sealed record PeerNetworkOptions
{
    /// <summary>The keys of the section.</summary>
    public static readonly string[] Keys =
        ["enabled", "scope", "mode", "addressType", "address", "podCidrs", "vxlanVni", "vxlanPort", "nonMasqueradeCidrs", "resyncInterval", "peers"];

    /// <summary>The keys of one static peer.</summary>
    public static readonly string[] PeerKeys = ["name", "podCidrs", "addresses"];

    /// <summary>The VXLAN device yurtnet owns.</summary>
    public const string VxlanDevice = "yurtnet.vxlan";

    /// <summary>Whether peers are routed to at all.</summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// Which Nodes are peers: <c>pool</c> (the Nodes whose <c>apps.openyurt.io/nodepool</c> label has this node's
    /// value), <c>cluster</c> (every Node), or a label selector.
    /// </summary>
    public PeerScope Scope { get; init; } = PeerScope.Pool;

    /// <summary><c>auto</c>, <c>hostgw</c> or <c>vxlan</c>.</summary>
    public PeerMode Mode { get; init; } = PeerMode.Auto;

    /// <summary>The Node address type that is a peer's underlay address (<c>InternalIP</c> or <c>ExternalIP</c>).</summary>
    public string AddressType { get; init; } = "InternalIP";

    /// <summary>This gateway's underlay address (its VTEP MAC is derived from it); default: its Node's address, else the source address towards its peers.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>This gateway's pod CIDRs when there is no cluster to say them (a peer may not claim them).</summary>
    public IReadOnlyList<IPNetwork> PodCidrs { get; init; } = [];

    /// <summary>The VXLAN network identifier; flannel uses 1, Raven's raven0 200.</summary>
    public uint VxlanVni { get; init; } = 7020;

    /// <summary>The VXLAN UDP port (IANA's); flannel uses 8472, Raven's raven0 4472.</summary>
    public int VxlanPort { get; init; } = 4789;

    /// <summary>Destinations never masqueraded besides every known pod CIDR: the service range, the cloud's pod ranges.</summary>
    public IReadOnlyList<IPNetwork> NonMasqueradeCidrs { get; init; } = [];

    /// <summary>How often the kernel's entries are compared with the table and repaired.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The static peers (never withdrawn but by editing the file).</summary>
    public IReadOnlyList<Peer> Peers { get; init; } = [];

    /// <param name="section">The <c>nodePool</c> section.</param>
    /// <param name="clusterLink">Whether there is a <c>cluster</c> section (which turns the feature on by default).</param>
    public static PeerNetworkOptions Read(SettingsReader section, bool clusterLink)
    {
        ArgumentNullException.ThrowIfNull(section);
        section.RejectUnknownKeys(Keys);
        var defaults = new PeerNetworkOptions();
        var peers = new List<Peer>();
        foreach (var item in section.Items("peers"))
        {
            item.RejectUnknownKeys(PeerKeys);
            var name = item.Text("name");
            if (name is null)
            {
                item.Problem("name", "a static peer needs a name (its node name)");
            }

            var cidrs = Networks(item, "podCidrs");
            var addresses = Addresses(item, "addresses");
            if (cidrs.Count == 0)
            {
                item.Problem("podCidrs", "a static peer needs its pod CIDRs");
            }

            if (addresses.Count == 0)
            {
                item.Problem("addresses", "a static peer needs its underlay address (one per family)");
            }

            peers.Add(new Peer { Name = name ?? "", PodCidrs = cidrs, Addresses = addresses, Static = true });
        }

        foreach (var twin in peers.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1 && g.Key.Length > 0))
        {
            section.Problem("peers", $"peer \"{twin.Key}\" is listed {twin.Count()} times");
        }

        var mode = section.OneOf("mode", "auto", ["auto", "hostgw", "vxlan"]);
        var address = Addresses(section, "address");
        return new PeerNetworkOptions
        {
            Enabled = section.Boolean("enabled", clusterLink || peers.Count > 0),
            Scope = ReadScope(section),
            Mode = mode switch { "hostgw" => PeerMode.HostGw, "vxlan" => PeerMode.Vxlan, _ => PeerMode.Auto },
            AddressType = section.OneOf("addressType", defaults.AddressType, ["InternalIP", "ExternalIP"]),
            Address = address.FirstOrDefault(),
            PodCidrs = Networks(section, "podCidrs"),
            VxlanVni = (uint)section.Integer("vxlanVni", (int)defaults.VxlanVni, 1, 16_777_215),
            VxlanPort = section.Integer("vxlanPort", defaults.VxlanPort, 1, 65535),
            NonMasqueradeCidrs = Networks(section, "nonMasqueradeCidrs"),
            ResyncInterval = section.Duration("resyncInterval", defaults.ResyncInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            Peers = peers,
        };
    }

    private static PeerScope ReadScope(SettingsReader section)
    {
        if (!PeerScope.TryParse(section.Text("scope") ?? "pool", out var scope, out var problem))
        {
            section.Problem("scope", problem);
        }

        return scope;
    }

    private static List<IPNetwork> Networks(SettingsReader section, string key)
    {
        var result = new List<IPNetwork>();
        foreach (var (entryKey, text) in section.Texts(key))
        {
            // IPNetwork clears host bits silently: "10.22.2.1/24" would become 10.22.2.0/24 without a word.
            if (IPNetwork.TryParse(text, out var network) && IPAddress.TryParse(text.Split('/')[0], out var written) && written.Equals(network.BaseAddress))
            {
                result.Add(network);
            }
            else
            {
                section.Problem(entryKey, $"\"{text}\" is not a network in CIDR form with its host bits zero, e.g. 10.22.1.0/24");
            }
        }

        return result;
    }

    private static List<IPAddress> Addresses(SettingsReader section, string key)
    {
        var result = new List<IPAddress>();
        foreach (var (entryKey, text) in section.Texts(key))
        {
            if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
            {
                if (result.Any(a => a.AddressFamily == address.AddressFamily))
                {
                    section.Problem(entryKey, $"{address}: at most one address per family");
                }
                else
                {
                    result.Add(address);
                }
            }
            else
            {
                section.Problem(entryKey, $"\"{text}\" is not an IP address");
            }
        }

        return result;
    }

    /// <summary>One line for the start-up log.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"scope {Scope.Text}, mode {Mode.ToString().ToLowerInvariant()}, vxlan vni {VxlanVni} port {VxlanPort}, {Peers.Count} static peer(s)");
}
