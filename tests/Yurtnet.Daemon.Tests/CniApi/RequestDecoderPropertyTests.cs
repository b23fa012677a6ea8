using System.Text;
using CsCheck;
using Yurtnet.Daemon.CniApi;
using Yurtnet.Protocol;

namespace Yurtnet.Daemon.Tests.CniApi;

/// <summary>Whatever arrives in a frame, the daemon answers it with a named response: never an exception, never a hang.</summary>
public sealed class RequestDecoderPropertyTests
{
    private static readonly string[] ValidFrames =
    [
        """{"v":2,"op":"allocate","id":"a","containerId":"c1","ifName":"eth0","network":"edge","pod":{"namespace":"shop","name":"till","uid":"u"},"subnets":["10.22.0.0/24"],"requestedIps":["10.22.0.9"],"podAnnotationsPassed":true}""",
        """{"v":2,"op":"commit","id":"b","containerId":"c1","ifName":"eth0","network":"edge","hostVeth":"yn0123","mac":"0a:58:00:00:00:01"}""",
        """{"v":2,"op":"release","id":"c","containerId":"c1","ifName":"eth0","network":"edge","rollback":false}""",
        """{"v":2,"op":"gc","id":"d","network":"edge","validAttachments":[{"containerId":"c1","ifName":"eth0"}]}""",
        """{"v":2,"op":"status","id":"e","subnets":["10.22.0.0/24"],"network":"edge"}""",
    ];

    private static readonly string[] Fragments = ["\"op\":\"allocate\",", "\"v\":2,", "null,", "1e999,", "\"\\ud800\","];

    private static readonly Gen<byte[]> Frames = Gen.Select(Gen.Int[0, ValidFrames.Length - 1], Gen.Int[0, 6], Gen.Int[0, 100_000].Array[6], Gen.Byte.Array[6], (which, count, positions, values) =>
    {
        var bytes = Encoding.UTF8.GetBytes(ValidFrames[which]).ToList();
        for (var i = 0; i < count && bytes.Count > 0; i++)
        {
            var at = positions[i] % bytes.Count;
            switch (values[i] % 4)
            {
                case 0: bytes[at] = values[(i + 1) % 6]; break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)"{}[]\",:0-e\\n"[values[i] % 12]); break;
                default: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[values[i] % Fragments.Length])); break;
            }
        }

        return bytes.ToArray();
    });

    [Fact]
    public async Task Mutated_and_random_frames_always_get_a_named_answer()
    {
        await using var daemon = new DaemonHarness();
        await daemon.StartAsync();
        var server = daemon.Server;

        await Gen.OneOf(Frames, Gen.Byte.Array[1, 300]).SampleAsync(async frame =>
        {
            var (_, response) = await server.ProcessAsync(frame, new PeerCredentials(1, 0, 0), RequestDeadline.Start(TimeSpan.FromSeconds(5)));
            Assert.True(response is not ErrorResponse error || (error.Message.Length > 0 && error.Error != ErrorKind.Internal), $"{response} for {Encoding.UTF8.GetString(frame)}");
        }, iter: 3_000);
    }
}
