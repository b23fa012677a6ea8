using System.Text;
using System.Text.Json;
using CsCheck;

namespace Yurtnet.Protocol.Tests;

/// <summary>The plugin's writers escape what JSON requires, write everything else as it is, and always produce valid JSON.</summary>
public sealed class MinimalJsonEncoderTests
{
    private static string Written(string value)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, MinimalJsonEncoder.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString(value, value); // a property name and a value take different paths in the writer
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Utf8RoundTrip(string value) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value)); // lone surrogates become U+FFFD

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("quote \" and backslash \\", "quote \\\" and backslash \\\\")]
    [InlineData("line\nfeed\ttab\r\b\f", "line\\nfeed\\ttab\\r\\b\\f")]
    [InlineData("nul \u0000 and unit separator \u001f", "nul \\u0000 and unit separator \\u001F")]
    [InlineData("it's <b>&amp; +`", "it's <b>&amp; +`")]
    [InlineData("Grüße, 网络, 🛰", "Grüße, 网络, 🛰")]
    public void Escapes_only_what_json_requires(string value, string expected) =>
        Assert.Equal($"{{\"{expected}\":\"{expected}\"}}", Written(value));

    [Fact]
    public void A_lone_surrogate_is_written_as_the_replacement_character() =>
        Assert.Equal("{\"a\uFFFDb\":\"a\uFFFDb\"}", Written("a\uD800b"));

    [Fact]
    public void Any_string_is_written_as_json_that_reads_back_as_the_same_text()
    {
        Gen.String[Gen.Char, 0, 40].Sample(value =>
        {
            using var document = JsonDocument.Parse(Written(value));
            var property = Assert.Single(document.RootElement.EnumerateObject());
            Assert.Equal(Utf8RoundTrip(value), property.Name);
            Assert.Equal(Utf8RoundTrip(value), property.Value.GetString());
        });
    }

    [Fact]
    public void Utf8_bytes_written_through_the_writer_read_back_as_the_same_text()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, MinimalJsonEncoder.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("q\"é<"u8, "a\\b\n🛰"u8);
            w.WriteString("bad"u8, [(byte)'x', 0xFF, (byte)'y']);
            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        Assert.Equal("a\\b\n🛰", document.RootElement.GetProperty("q\"é<").GetString());
        Assert.Equal("x\uFFFDy", document.RootElement.GetProperty("bad").GetString());
    }

    [Fact]
    public void Utf8_input_is_checked_as_utf8()
    {
        Assert.Equal(-1, MinimalJsonEncoder.Instance.FindFirstCharacterToEncodeUtf8("Grüße 🛰 <&>"u8));
        Assert.Equal(2, MinimalJsonEncoder.Instance.FindFirstCharacterToEncodeUtf8("ab\"c"u8));
        Assert.Equal(1, MinimalJsonEncoder.Instance.FindFirstCharacterToEncodeUtf8([(byte)'a', 0xC3, (byte)'(']));
        Assert.Equal(1, MinimalJsonEncoder.Instance.FindFirstCharacterToEncodeUtf8([(byte)'a', 0xFF]));
    }
}
