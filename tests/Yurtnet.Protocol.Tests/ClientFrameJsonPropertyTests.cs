using System.Text;
using CsCheck;

namespace Yurtnet.Protocol.Tests;

/// <summary>The plugin reads whatever a daemon of any version (or a broken one) answers: a response or InvalidDataException, nothing else.</summary>
public sealed class ClientFrameJsonPropertyTests
{
    private static readonly string[] Answers =
    [
        """{"kind":"allocated","id":"a","existing":false,"addresses":[{"address":"10.22.0.2/24","gateway":"10.22.0.1","pool":"10.22.0.0/24"}]}""",
        """{"kind":"released","id":"b","released":1,"networkIdle":true,"deferred":false}""",
        """{"kind":"error","id":"c","error":"TryAgainLater","message":"store full"}""",
        """{"kind":"status","id":"d","ready":true,"daemonVersion":"0.1.0","startedAt":"2026-11-29T00:00:00Z","pools":[]}""",
    ];

    private static readonly Gen<byte[]> Mutated = Gen.Select(Gen.Int[0, Answers.Length - 1], Gen.Int[0, 6], Gen.Int[0, 100_000].Array[6], Gen.Byte.Array[6], (which, count, positions, values) =>
    {
        var bytes = Encoding.UTF8.GetBytes(Answers[which]).ToList();
        for (var i = 0; i < count && bytes.Count > 0; i++)
        {
            var at = positions[i] % bytes.Count;
            if (values[i] % 2 == 0)
            {
                bytes[at] = values[(i + 1) % 6];
            }
            else
            {
                bytes.RemoveAt(at);
            }
        }

        return bytes.ToArray();
    });

    [Fact]
    public void Any_answer_decodes_to_a_response_or_invalid_data()
    {
        Gen.OneOf(Mutated, Gen.Byte.Array[0, 200]).Sample(frame =>
        {
            try
            {
                return ClientFrameJson.Decode(frame) is not null;
            }
            catch (InvalidDataException)
            {
                return true;
            }
        }, iter: 5_000);
    }

    [Fact]
    public void Error_kind_this_plugin_does_not_know_is_read_as_an_internal_error_with_its_message()
    {
        var error = Assert.IsType<ErrorResponse>(ClientFrameJson.Decode("""{"kind":"error","id":"x","error":"SomethingNew","message":"from a newer yurtnetd"}"""u8));

        Assert.Equal(ErrorKind.Internal, error.Error);
        Assert.Equal("from a newer yurtnetd", error.Message);
    }
}
