using System.Text;

namespace Yurtnet.Ctl;

/// <summary>Left-aligned columns sized to their widest cell, as operators expect from <c>kubectl get</c>.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(r => i < r.Count ? r[i].Length : 0)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (var i = 0; i < headers.Count; i++)
            {
                var cell = i < row.Count ? row[i] : "";
                text.Append(i == headers.Count - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
