using System.Globalization;
using System.Net;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// What the runtime asks for a pod's interface besides the pool's choice, from every source it may use: addresses
/// from the pod annotation <c>yurtnet.openyurt.io/ip</c>, the <c>ips</c> capability (<c>runtimeConfig.ips</c>) and
/// <c>CNI_ARGS</c> <c>IP</c>; a MAC from the <c>mac</c> capability and <c>CNI_ARGS</c> <c>MAC</c>. Never silently
/// ignored: a value that cannot be read, more than one address of a family, or two sources that disagree are a CNI
/// error (code 7) that names them.
/// </summary>
/// <param name="Ips">At most one address per family.</param>
/// <param name="IpsFrom">The sources that named them, for the daemon's refusal (e.g. <c>CNI_ARGS IP</c>); null when none did.</param>
/// <param name="Mac">The requested MAC, lower case with colons, or null.</param>
internal sealed record AttachmentRequest(IReadOnlyList<IPAddress> Ips, string? IpsFrom, string? Mac)
{
    private const string IpsHint = "ask for at most one IPv4 and one IPv6 address, in one of the annotation yurtnet.openyurt.io/ip, the ips capability or CNI_ARGS IP (or the same in each)";
    private const string MacHint = "give a unicast MAC such as 02:42:0a:62:00:32, in the mac capability or CNI_ARGS MAC (or the same in both)";

    /// <summary>Combines the conflist's (annotation, capabilities) and <c>CNI_ARGS</c>' requests.</summary>
    /// <exception cref="CniException">Code 7: a value that cannot be read, two of a family, or sources that disagree.</exception>
    public static AttachmentRequest From(NetConf conf, CniArgs args)
    {
        ArgumentNullException.ThrowIfNull(conf);
        ArgumentNullException.ThrowIfNull(args);
        var sources = new List<(string From, IReadOnlyList<IPAddress> Ips)>();
        if (conf.RequestedIps.Count > 0)
        {
            sources.Add(($"pod annotation {Annotations.RequestedIp}", conf.RequestedIps));
        }

        if (conf.CapabilityIps is { Count: > 0 } capability)
        {
            sources.Add(("runtimeConfig ips", capability.Select(text => Address(text, "runtimeConfig ips", allowPrefix: true)).ToList()));
        }

        if (!string.IsNullOrEmpty(args.Ip))
        {
            sources.Add(("CNI_ARGS IP", args.Ip.Split(',').Select(text => Address(text.Trim(), "CNI_ARGS IP", allowPrefix: false)).ToList()));
        }

        var chosen = new Dictionary<System.Net.Sockets.AddressFamily, (IPAddress Ip, string From)>();
        foreach (var (from, ips) in sources)
        {
            if (ips.GroupBy(ip => ip.AddressFamily).FirstOrDefault(g => g.Distinct().Count() > 1) is { } twice)
            {
                throw Invalid($"{from}: {string.Join(" and ", twice.Distinct())} are two addresses of one family", IpsHint);
            }

            foreach (var ip in ips)
            {
                if (chosen.TryGetValue(ip.AddressFamily, out var earlier) && !earlier.Ip.Equals(ip))
                {
                    throw Invalid($"{earlier.From} asks for {earlier.Ip}, {from} for {ip}", IpsHint);
                }

                chosen[ip.AddressFamily] = (ip, earlier.From is null || earlier.From == from ? from : $"{earlier.From} and {from}");
            }
        }

        var macs = new List<(string From, string Mac)>();
        if (conf.CapabilityMac is { } capabilityMac)
        {
            macs.Add(("runtimeConfig mac", ParseMac(capabilityMac, "runtimeConfig mac")));
        }

        if (!string.IsNullOrEmpty(args.Mac))
        {
            macs.Add(("CNI_ARGS MAC", ParseMac(args.Mac, "CNI_ARGS MAC")));
        }

        if (macs.Select(m => m.Mac).Distinct().Count() > 1)
        {
            throw Invalid($"{macs[0].From} asks for {macs[0].Mac}, {macs[1].From} for {macs[1].Mac}", MacHint);
        }

        var froms = chosen.Values.Select(c => c.From).Distinct().ToList();
        return new AttachmentRequest(
            chosen.Values.Select(c => c.Ip).OrderBy(ip => ip.AddressFamily).ToList(),
            froms.Count == 0 ? null : string.Join(", ", froms),
            macs.Count == 0 ? null : macs[0].Mac);
    }

    private static IPAddress Address(string text, string from, bool allowPrefix)
    {
        var address = text;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && allowPrefix)
        {
            // The ips capability carries CIDR notation; the pool decides the prefix, so only the address counts.
            var prefix = text[(slash + 1)..];
            address = text[..slash];
            if (prefix.Length is 0 or > 3 || !prefix.All(char.IsAsciiDigit) || int.Parse(prefix, CultureInfo.InvariantCulture) > (address.Contains(':', StringComparison.Ordinal) ? 128 : 32))
            {
                throw Invalid($"{from}: \"{text}\" has no valid prefix length", "write an address, or an address with /prefix");
            }
        }

        return AddressText.TryParse(address, out var ip, out var problem)
            ? ip
            : throw Invalid($"{from}: {problem}", "write one IPv4 address in dotted decimal and/or one IPv6 address, comma separated");
    }

    /// <summary>A MAC in six hex octets separated by ':' or '-', unicast and not all zero; returned lower case with colons.</summary>
    internal static string ParseMac(string text, string from)
    {
        var parts = text.Split(text.Contains('-', StringComparison.Ordinal) ? '-' : ':');
        if (parts.Length != 6 || parts.Any(p => p.Length != 2 || !p.All(char.IsAsciiHexDigit)))
        {
            throw Invalid($"{from}: \"{text}\" is not a MAC address (six hex octets separated by ':')", MacHint);
        }

        var bytes = parts.Select(p => byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        if ((bytes[0] & 1) != 0 || bytes.All(b => b == 0))
        {
            throw Invalid($"{from}: {text} is a {((bytes[0] & 1) != 0 ? "multicast" : "zero")} MAC address, which an interface cannot have", MacHint);
        }

        return string.Join(':', parts).ToLowerInvariant();
    }

    private static CniException Invalid(string message, string hint) => new(new CniError(CniError.InvalidNetworkConfig, message, hint));
}
