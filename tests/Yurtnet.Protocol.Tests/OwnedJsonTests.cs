using System.Text.Json;

namespace Yurtnet.Protocol.Tests;

/// <summary>OwnedJson accepts exactly what JsonDocument.Parse accepts: one JSON value, whitespace around it.</summary>
public sealed class OwnedJsonTests
{
    [Theory]
    [InlineData("""{"a":[1,2,{"b":null}]}""")]
    [InlineData(" \n\t{\"a\":1} \r\n ")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    public void One_value_parses_as_json_document_does(string text)
    {
        using var expected = JsonDocument.Parse(text);

        var parsed = OwnedJson.Parse(System.Text.Encoding.UTF8.GetBytes(text));

        Assert.Equal(expected.RootElement.GetRawText(), parsed.GetRawText());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("""{"a":1}{"b":2}""")]
    [InlineData("""{"a":1} x""")]
    [InlineData("""{"a":1},""")]
    [InlineData("""{"a":1""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("""{"a":1} // comment""")]
    public void Anything_json_document_refuses_is_refused(string text)
    {
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text));

        Assert.ThrowsAny<JsonException>(() => OwnedJson.Parse(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void An_error_says_where()
    {
        var error = Assert.ThrowsAny<JsonException>(() => OwnedJson.Parse("{\n  \"a\": tru }"u8));

        Assert.Equal(1, error.LineNumber);
    }

    [Fact]
    public void The_element_outlives_its_input()
    {
        var bytes = """{"name":"yurt"}"""u8.ToArray();
        var parsed = OwnedJson.Parse(bytes);
        Array.Clear(bytes);

        Assert.Equal("yurt", parsed.GetProperty("name").GetString());
    }
}
