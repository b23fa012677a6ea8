using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>Writes results and errors in the shape of a given spec version, and reads <c>prevResult</c>.</summary>
internal static class ResultJson
{
    // Error messages are for people reading a journal: quotes and apostrophes stay readable. The encoder escapes
    // only what JSON requires and has no tables to build at start-up.
    private static JsonWriterOptions Options => MinimalJsonEncoder.WriterOptions;

    public static byte[] Write(CniResult result, string version)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", version);
            var extended = CniVersion.HasExtendedFields(version);
            w.WriteStartArray("interfaces");
            foreach (var i in result.Interfaces)
            {
                w.WriteStartObject();
                w.WriteString("name", i.Name);
                if (i.Mac is not null)
                {
                    w.WriteString("mac", i.Mac);
                }

                if (extended && i.Mtu is { } mtu)
                {
                    w.WriteNumber("mtu", mtu);
                }

                if (i.Sandbox is not null)
                {
                    w.WriteString("sandbox", i.Sandbox);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("ips");
            foreach (var ip in result.Ips)
            {
                w.WriteStartObject();
                if (CniVersion.HasIpVersionField(version))
                {
                    w.WriteString("version", ip.Address.AddressFamily == AddressFamily.InterNetworkV6 ? "6" : "4");
                }

                w.WriteString("address", ip.Cidr);
                if (ip.Gateway is not null)
                {
                    w.WriteString("gateway", ip.Gateway.ToString());
                }

                if (ip.Interface is { } index)
                {
                    w.WriteNumber("interface", index);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("routes");
            foreach (var r in result.Routes)
            {
                w.WriteStartObject();
                w.WriteString("dst", r.Destination.ToString());
                if (r.Gateway is not null)
                {
                    w.WriteString("gw", r.Gateway.ToString());
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WritePropertyName("dns");
            if (result.DnsJson is not null)
            {
                w.WriteRawValue(result.DnsJson);
            }
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] WriteError(CniError error, string version)
    {
        ArgumentNullException.ThrowIfNull(error);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", version);
            w.WriteNumber("code", error.Code);
            w.WriteString("msg", error.Msg);
            if (error.Details.Length > 0)
            {
                w.WriteString("details", error.Details);
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] WriteVersion(string version)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("cniVersion", version);
            w.WriteStartArray("supportedVersions");
            foreach (var v in CniVersion.Supported)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a result of any supported version (a <c>prevResult</c>); problems are listed, not thrown.</summary>
    public static CniResult Read(JsonElement root, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var result = new CniResult();
        if (root.TryGetProperty("interfaces", out var interfaces) && interfaces.ValueKind == JsonValueKind.Array)
        {
            foreach (var i in interfaces.EnumerateArray())
            {
                if (i.ValueKind != JsonValueKind.Object || !i.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    problems.Add("prevResult.interfaces: every entry needs a name");
                    continue;
                }

                result.Interfaces.Add(new ResultInterface(name.GetString()!, OptionalString(i, "mac"), null, OptionalString(i, "sandbox")));
            }
        }

        if (root.TryGetProperty("ips", out var ips) && ips.ValueKind == JsonValueKind.Array)
        {
            foreach (var ip in ips.EnumerateArray())
            {
                var address = ip.ValueKind == JsonValueKind.Object ? OptionalString(ip, "address") : null;
                if (address is null || !IPNetwork.TryParse(address, out _) || !TrySplitCidr(address, out var addr, out var prefix))
                {
                    problems.Add($"prevResult.ips: \"{address}\" is not an address with prefix");
                    continue;
                }

                var gateway = OptionalString(ip, "gateway") is { } g && IPAddress.TryParse(g, out var gw) ? gw : null;
                int? index = ip.TryGetProperty("interface", out var idx) && idx.ValueKind == JsonValueKind.Number ? idx.GetInt32() : null;
                result.Ips.Add(new ResultIp(addr, prefix, gateway, index));
            }
        }

        if (root.TryGetProperty("routes", out var routes) && routes.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in routes.EnumerateArray())
            {
                var dst = r.ValueKind == JsonValueKind.Object ? OptionalString(r, "dst") : null;
                if (dst is null || !IPNetwork.TryParse(dst, out var network))
                {
                    problems.Add($"prevResult.routes: \"{dst}\" is not a destination CIDR");
                    continue;
                }

                var gw = OptionalString(r, "gw") is { } g && IPAddress.TryParse(g, out var parsed) ? parsed : null;
                result.Routes.Add(new ResultRoute(network, gw));
            }
        }

        return result;
    }

    /// <summary>Splits <c>10.0.0.5/16</c> into the address (host bits kept) and the prefix length.</summary>
    public static bool TrySplitCidr(string cidr, out IPAddress address, out int prefixLength)
    {
        address = IPAddress.None;
        prefixLength = 0;
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && IPAddress.TryParse(cidr.AsSpan(0, slash), out address!)
            && int.TryParse(cidr.AsSpan(slash + 1), System.Globalization.CultureInfo.InvariantCulture, out prefixLength)
            && prefixLength >= 0
            && prefixLength <= (address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32);
    }

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
