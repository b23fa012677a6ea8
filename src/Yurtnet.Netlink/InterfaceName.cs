namespace Yurtnet.Netlink;

/// <summary>Linux interface name rules (as libcni checks <c>CNI_IFNAME</c>); used for every configured name.</summary>
public static class InterfaceName
{
    /// <summary>IFNAMSIZ minus the terminating zero.</summary>
    public const int MaxBytes = 15;

    /// <summary>What is wrong with <paramref name="name"/> as an interface name, or null when it is valid.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "is empty";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxBytes)
        {
            return $"\"{name}\" is longer than {MaxBytes} bytes";
        }

        if (name is "." or "..")
        {
            return $"\"{name}\" is not a valid interface name";
        }

        foreach (var c in name)
        {
            if (c == '/' || c == ':' || char.IsWhiteSpace(c))
            {
                return $"\"{name}\" contains '/', ':' or whitespace";
            }
        }

        return null;
    }
}
