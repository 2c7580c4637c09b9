namespace XenoCrm.Core.Data;

/// <summary>Turns user text into a literal part of a LIKE pattern, for <c>EF.Functions.Like(…, EscapeCharacter)</c>.</summary>
public static class LikePattern
{
    public const string EscapeCharacter = "\\";

    public static string Escape(string text) =>
        text.Replace(EscapeCharacter, EscapeCharacter + EscapeCharacter, StringComparison.Ordinal)
            .Replace("%", EscapeCharacter + "%", StringComparison.Ordinal)
            .Replace("_", EscapeCharacter + "_", StringComparison.Ordinal);
}
