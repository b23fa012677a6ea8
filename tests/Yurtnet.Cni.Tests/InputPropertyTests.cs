using System.Text;
using CsCheck;

namespace Yurtnet.Cni.Tests;

/// <summary>
/// Whatever a runtime (or an attacker with its rights) puts on stdin and in the environment, the plugin answers with
/// a CNI error of the right code or a configuration: never another exception, never a crash.
/// </summary>
public sealed class InputPropertyTests
{
    private const string ValidConflist = """
        {"cniVersion":"1.1.0","name":"edge","type":"yurtnet","bridge":"yurt0","mtu":1400,"ipMasq":true,
         "ipam":{"subnets":["10.22.0.0/24","fd00:22::/64"],"routes":[{"dst":"10.30.0.0/16","gw":"10.22.0.1"}]},
         "dns":{"nameservers":["10.96.0.10"]},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"yurtnet.openyurt.io/ip":"10.22.0.40"}},
         "prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],"ips":[{"address":"10.22.0.40/24","interface":0}]},
         "cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}
        """;

    /// <summary>The valid conflist with bytes changed, removed and inserted: a corrupt file, a truncated pipe.</summary>
    private static readonly Gen<byte[]> MutatedConflist = Gen.Select(Gen.Int[0, 8], Gen.Int[0, 10_000].Array[8], Gen.Byte.Array[8], (count, positions, values) =>
    {
        var bytes = Encoding.UTF8.GetBytes(ValidConflist).ToList();
        for (var i = 0; i < count && bytes.Count > 0; i++)
        {
            var at = positions[i] % bytes.Count;
            switch (values[i] % 3)
            {
                case 0: bytes[at] = values[(i + 1) % 8]; break;
                case 1: bytes.RemoveAt(at); break;
                default: bytes.Insert(at, (byte)"{}[]\",:0-e\\"[values[i] % 11]); break;
            }
        }

        return bytes.ToArray();
    });

    private static readonly string[] Plausible = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION", "/run/netns/x", "eth0", "IgnoreUnknown=1;K8S_POD_NAME=a;IP=10.22.0.4"];

    private static bool IsCniError(Action parse, params int[] codes)
    {
        try
        {
            parse();
            return true;
        }
        catch (CniException ex)
        {
            return codes.Contains(ex.Error.Code) && ex.Error.Msg.Length > 0;
        }
    }

    [Fact]
    public void Mutated_conflists_give_a_configuration_or_a_cni_error_of_code_1_6_or_7()
    {
        Gen.Select(MutatedConflist, Gen.Enum<CniCommand>()).Sample((stdin, command) => IsCniError(() => NetConfParser.Parse(stdin, command), 1, 6, 7), iter: 5_000);
    }

    [Fact]
    public void Random_bytes_on_stdin_give_a_cni_error_and_no_crash()
    {
        Gen.Byte.Array[0, 512].Sample(stdin => IsCniError(() => NetConfParser.Parse(stdin, CniCommand.Add), 1, 6, 7) && NoThrow(() => NetConfParser.PeekVersion(stdin)), iter: 5_000);
    }

    [Fact]
    public void Random_environments_give_an_environment_or_a_cni_error_and_no_crash()
    {
        var value = Gen.OneOf(Gen.Const((string?)null), Gen.String[0, 80].Select(s => (string?)s), Gen.Int[0, Plausible.Length - 1].Select(i => (string?)Plausible[i]));
        Gen.Select(value, value, value, value, value, value).Sample((command, container, netns, ifName, args, path) =>
        {
            var env = new Dictionary<string, string?> { ["CNI_COMMAND"] = command, ["CNI_CONTAINERID"] = container, ["CNI_NETNS"] = netns, ["CNI_IFNAME"] = ifName, ["CNI_ARGS"] = args, ["CNI_PATH"] = path };
            try
            {
                return CniEnvironment.TryRead(k => env.GetValueOrDefault(k), out _, out var error) || error.Code is 2 or 4 or 7;
            }
            catch (Exception)
            {
                return false;
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Version_in_invalid_utf8_is_no_version_and_the_configuration_a_code_6_error()
    {
        byte[] stdin = [.. "{\"cniVersion\":\""u8, 0xff, 0xfe, .. "\"}"u8];

        Assert.Null(NetConfParser.PeekVersion(stdin));
        Assert.Equal(6, Assert.Throws<CniException>(() => NetConfParser.Parse(stdin, CniCommand.Add)).Error.Code);
    }

    private static bool NoThrow(Action action)
    {
        try
        {
            action();
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
