using System.Net;
using System.Text.Json;
using Yurtnet.Protocol;

namespace Yurtnet.Cni;

/// <summary>
/// The conflist's <c>ipam</c> section: the pools (<c>subnets</c>) and extra routes. Like the rest of the conflist,
/// every finding is added to the shared problem list with its key (<c>ipam.routes[1].gw</c>), never thrown.
/// </summary>
internal static class IpamSectionParser
{
    public static (List<IPNetwork> Subnets, List<ResultRoute> Routes) Parse(JsonElement root, List<string> problems)
    {
        if (!root.TryGetProperty("ipam", out var ipam) || ipam.ValueKind == JsonValueKind.Null)
        {
            return ([], []);
        }

        if (ipam.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"ipam: expected an object, got {ipam.ValueKind}");
            return ([], []);
        }

        if (new ConfFieldReader(ipam, problems, "ipam.").String("type") is { } type && type != "yurtnet")
        {
            problems.Add($"ipam.type: \"{type}\" is not supported; yurtnet allocates through yurtnetd, so remove ipam.type or set it to \"yurtnet\"");
        }

        return (Subnets(ipam, problems), Routes(ipam, problems));
    }

    /// <summary><c>ipam.subnets</c>: pool CIDRs, no two overlapping.</summary>
    private static List<IPNetwork> Subnets(JsonElement ipam, List<string> problems)
    {
        var subnets = new List<IPNetwork>();
        if (!ipam.TryGetProperty("subnets", out var list))
        {
            return subnets;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"ipam.subnets: expected an array of CIDR strings, got {list.ValueKind}");
            return subnets;
        }

        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var key = $"ipam.subnets[{i++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                problems.Add($"{key}: expected a CIDR string, got {item.ValueKind}");
            }
            else if (!PoolCidr.TryParse(item.GetString()!, out var subnet, out var problem))
            {
                problems.Add($"{key}: {problem}");
            }
            else if (subnets.Any(s => s.Contains(subnet.BaseAddress) || subnet.Contains(s.BaseAddress)))
            {
                problems.Add($"{key}: {subnet} overlaps another subnet of the list");
            }
            else
            {
                subnets.Add(subnet);
            }
        }

        return subnets;
    }

    /// <summary><c>ipam.routes</c>: <c>{"dst": CIDR, "gw": IP}</c>, the gateway of the same family as the destination.</summary>
    private static List<ResultRoute> Routes(JsonElement ipam, List<string> problems)
    {
        var routes = new List<ResultRoute>();
        if (!ipam.TryGetProperty("routes", out var list))
        {
            return routes;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"ipam.routes: expected an array of {{\"dst\": CIDR, \"gw\": IP}} objects, got {list.ValueKind}");
            return routes;
        }

        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (Route(item, $"ipam.routes[{i++}]", problems) is { } route)
            {
                routes.Add(route);
            }
        }

        return routes;
    }

    private static ResultRoute? Route(JsonElement item, string key, List<string> problems)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{key}: expected an object with dst and optional gw, got {item.ValueKind}");
            return null;
        }

        var reader = new ConfFieldReader(item, problems, key + ".");
        var dst = reader.String("dst");
        if (dst is null || !IPNetwork.TryParse(dst, out var destination))
        {
            problems.Add($"{key}.dst: {(dst is null ? "required" : $"\"{dst}\" is not a CIDR")}");
            return null;
        }

        IPAddress? gateway = null;
        if (reader.String("gw") is { } gw && (!AddressText.TryParse(gw, out gateway, out _) || gateway.AddressFamily != destination.BaseAddress.AddressFamily))
        {
            problems.Add($"{key}.gw: \"{gw}\" is not an address of the same family as dst {destination}");
            return null;
        }

        return new ResultRoute(destination, gateway);
    }
}
