using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace XenoCrm.Web.Pages.DeadLetters;

/// <summary>A dead letter's body as people read it. The result is text for Razor to HTML-encode, never markup.</summary>
public static class LetterBody
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        // Keeps names in any script readable; the page's HTML encoding is what makes the text safe.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    /// <summary>Indented when the body is whole, valid JSON; otherwise as it was stored.</summary>
    public static string Readable(string body, bool whole)
    {
        if (!whole)
        {
            return body;
        }
        try
        {
            return JsonNode.Parse(body)?.ToJsonString(Indented) ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}
