namespace Yurtnet.HostNetwork;

/// <summary>IP forwarding of the host namespace, which a gateway network needs: the plugin turns it on, yurtnetd keeps it on.</summary>
internal static class Forwarding
{
    private const string V4 = "/proc/sys/net/ipv4/ip_forward";
    private const string V6 = "/proc/sys/net/ipv6/conf/all/forwarding";

    /// <summary>Turns forwarding on for the families asked; returns what had been off.</summary>
    /// <exception cref="IOException">The sysctl could not be written (a read-only <c>/proc/sys</c>).</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to write the sysctl.</exception>
    public static List<string> Ensure(bool ipv4, bool ipv6)
    {
        var repaired = new List<string>();
        if (ipv4 && EnsureOne(V4))
        {
            repaired.Add("net.ipv4.ip_forward was 0: set to 1");
        }

        if (ipv6 && EnsureOne(V6))
        {
            repaired.Add("net.ipv6.conf.all.forwarding was 0: set to 1");
        }

        return repaired;
    }

    /// <returns>True when it had to be changed.</returns>
    private static bool EnsureOne(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() != "1")
        {
            File.WriteAllText(path, "1");
            return true;
        }

        return false;
    }
}
