using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Fluid;

namespace XenoCrm.Core.Campaigns;

/// <summary>A mistake in a template, at a 1-based line and column; <see cref="Message"/> names the place too.</summary>
public sealed record TemplateError(int Line, int Column, string Message);

/// <summary>Either a template ready to render, or everything wrong with its source.</summary>
public sealed record TemplateParseResult(MessageTemplate? Template, IReadOnlyList<TemplateError> Errors)
{
    [MemberNotNullWhen(true, nameof(Template))]
    public bool Succeeded => Template is not null;
}

/// <summary>A template that parsed but cannot be rendered within the sandbox's limits (steps, length).</summary>
public sealed class TemplateRenderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A campaign message in Liquid (through Fluid), for example
/// <c>Hi {{ customer.first_name | default: "there" }}, here's 10% off!</c>.
/// Parse once, then <see cref="Render"/> per recipient, from any number of threads: the parsed tree and the
/// shared options are never written after parsing. Output is plain text (no HTML encoding): the UI encodes
/// when it displays a message.
/// </summary>
public sealed partial class MessageTemplate
{
    public const int MaxSteps = TemplateSandbox.MaxSteps;
    public const int MaxOutputLength = TemplateSandbox.MaxOutputLength;

    private readonly IFluidTemplate _template;

    private MessageTemplate(string source, IFluidTemplate template)
    {
        Source = source;
        _template = template;
    }

    public string Source { get; }

    public static TemplateParseResult Parse(string? source)
    {
        if (string.IsNullOrWhiteSpace(source))
        {
            return Failed(new TemplateError(1, 1, "The message is empty."));
        }

        if (source.Length > Campaign.TemplateMaxLength)
        {
            return Failed(new TemplateError(1, 1, string.Create(CultureInfo.InvariantCulture,
                $"The message has {source.Length:N0} characters; at most {Campaign.TemplateMaxLength:N0} are allowed.")));
        }

        if (!TemplateSandbox.Parser.TryParse(source, out var parsed, out var syntaxError))
        {
            return Failed(SyntaxError(syntaxError));
        }

        var checker = new TemplateChecker();
        var checkedTemplate = checker.VisitTemplate(parsed);
        var errors = new List<TemplateError>();
        foreach (var name in checker.UnknownNames)
        {
            var (line, column) = Locate(source, FieldReference(name));
            errors.Add(new TemplateError(line, column, string.Create(CultureInfo.InvariantCulture,
                $"Unknown field '{name}' (line {line}, column {column}). Available: {string.Join(", ", TemplateCustomer.Fields)}.")));
        }

        foreach (var filter in checker.UnknownFilters.Distinct(StringComparer.Ordinal))
        {
            var (line, column) = Locate(source, new Regex(@"\|\s*" + Regex.Escape(filter) + @"(?!\w)", RegexOptions.CultureInvariant));
            errors.Add(new TemplateError(line, column, string.Create(CultureInfo.InvariantCulture,
                $"Unknown filter '{filter}' (line {line}, column {column}).")));
        }

        return errors.Count > 0 ? new TemplateParseResult(null, errors) : new TemplateParseResult(new MessageTemplate(source, checkedTemplate), []);
    }

    /// <summary>
    /// Turns the seed's <c>[Name]</c>-style placeholders (<c>[FirstName]</c>, <c>[City]</c>, one per catalog field)
    /// into Liquid. Unknown brackets are left as they are, so <see cref="Parse"/> keeps them as text.
    /// </summary>
    public static string FromPlaceholders(string text) =>
        PlaceholderPattern().Replace(text, match =>
            PlaceholderFields.TryGetValue(match.Groups[1].Value, out var member) ? $"{{{{ {TemplateCustomer.VariableName}.{member} }}}}" : match.Value);

    public string Render(TemplateCustomer customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        var context = new TemplateContext(TemplateSandbox.Options);
        context.SetValue(TemplateCustomer.VariableName, customer);
        using var writer = new BoundedWriter(MaxOutputLength);
        try
        {
            // Nothing a message reads is asynchronous, so this completes synchronously; the wait is for safety only.
            var rendering = _template.RenderAsync(writer, NullEncoder.Default, context);
            if (!rendering.IsCompletedSuccessfully)
            {
                rendering.AsTask().GetAwaiter().GetResult();
            }
        }
        catch (InvalidOperationException e)
        {
            // Fluid 2.41 signals both its step and its nesting limit this way, and words a step overrun as
            // "cyclic include", which would mislead here (there is no include).
            throw new TemplateRenderException(string.Create(CultureInfo.InvariantCulture,
                $"The message needs more than the {MaxSteps:N0} steps it may take to render: a loop runs too many times or blocks nest too deep."), e);
        }

        return writer.ToString();
    }

    private static readonly Dictionary<string, string> PlaceholderFields = TemplateCustomer.Members.ToDictionary(
        m => string.Concat(m.Name.Split('_').Select(word => char.ToUpperInvariant(word[0]) + word[1..])),
        m => m.Name,
        StringComparer.OrdinalIgnoreCase);

    [GeneratedRegex(@"\[\s*([A-Za-z]+)\s*\]", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();

    /// <summary>Fluid's messages end with " at (line:column)" and, on later lines, the source line.</summary>
    [GeneratedRegex(@"^(?<message>.*?)\s+at \((?<line>\d+):(?<column>\d+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex SyntaxErrorPattern();

    [GeneratedRegex(@"\{\{.*?\}\}|\{%.*?%\}", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex MarkupPattern();

    private static TemplateParseResult Failed(TemplateError error) => new(null, [error]);

    private static TemplateError SyntaxError(string fluidMessage)
    {
        var firstLine = fluidMessage.Split('\n', 2)[0].Trim();
        var match = SyntaxErrorPattern().Match(firstLine);
        if (!match.Success)
        {
            return new TemplateError(1, 1, firstLine);
        }

        var line = int.Parse(match.Groups["line"].ValueSpan, CultureInfo.InvariantCulture);
        var column = int.Parse(match.Groups["column"].ValueSpan, CultureInfo.InvariantCulture);
        return new TemplateError(line, column, string.Create(CultureInfo.InvariantCulture,
            $"{match.Groups["message"].Value} (line {line}, column {column})."));
    }

    /// <summary>
    /// <c>customer.nmae</c> → a pattern for it as written in markup (<c>customer . nmae</c>, <c>customer["nmae"]</c>),
    /// not preceded by a letter, dot or quote so that <c>x.customer</c> or <c>"promo"</c> are not taken for it.
    /// </summary>
    private static Regex FieldReference(string name)
    {
        var parts = name.Split('.', 2);
        var pattern = @"(?<![\w.'""-])" + Regex.Escape(parts[0]);
        if (parts.Length == 2)
        {
            var member = Regex.Escape(parts[1]);
            pattern += $@"\s*(?:\.\s*{member}|\[\s*['""]{member}['""]\s*\])";
        }

        return new Regex(pattern + @"(?![\w-])", RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// Fluid's tree keeps no source positions, so a name found in it is located by searching the markup
    /// (<c>{{ }}</c>, <c>{% %}</c>) for its first use: right for any template a person writes, and
    /// line 1, column 1 when the name cannot be found as written (built from a variable index, say).
    /// </summary>
    private static (int Line, int Column) Locate(string source, Regex reference)
    {
        foreach (Match markup in MarkupPattern().Matches(source))
        {
            var found = reference.Match(source, markup.Index, markup.Length);
            if (found.Success)
            {
                return Position(source, found.Index);
            }
        }

        return (1, 1);
    }

    private static (int Line, int Column) Position(string source, int offset)
    {
        var before = source.AsSpan(0, offset);
        var lineStart = before.LastIndexOf('\n') + 1;
        return (before.Count('\n') + 1, offset - lineStart + 1);
    }
}
