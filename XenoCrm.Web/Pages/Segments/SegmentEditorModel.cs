using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using XenoCrm.Core.Segments;
using XenoCrm.Web.Api;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Pages.Segments;

/// <summary>
/// What the new, edit and duplicate pages share: the form (a name, and the rule tree as JSON that
/// segment-builder.js keeps in a hidden field), its server-side validation and the save through
/// <see cref="SegmentCommands"/>, as the API's, and the live preview the editor asks for as the user edits.
/// </summary>
public abstract class SegmentEditorModel(SegmentCommands commands, AudienceQuery audience, DisplayFormat format) : PageModel
{
    public const int SampleSize = 8;

    public sealed class EditorInput
    {
        [Required(ErrorMessage = "Give the segment a name.")]
        [StringLength(Segment.NameMaxLength, ErrorMessage = "A name has at most {1} characters.")]
        [Display(Name = "Name")]
        public string Name { get; set; } = "";

        /// <summary>The rule tree in its wire form (DESIGN §4.2).</summary>
        public string Rules { get; set; } = "";
    }

    public sealed record ErrorAnswer(string Path, string Message);

    public sealed record SampleRow(long Id, string Name, string Email, string City, string TotalSpend, string Orders, string LastOrder);

    /// <summary>The preview handler's answer; <paramref name="Count"/> is null while the tree has mistakes.</summary>
    public sealed record PreviewAnswer(int? Count, string? CountText, IReadOnlyList<SampleRow> Sample, IReadOnlyList<ErrorAnswer> Errors, string? English);

    [BindProperty]
    public EditorInput Input { get; set; } = new();

    public IReadOnlyList<SegmentError> RuleErrors { get; private set; } = [];

    public abstract string Heading { get; }

    /// <summary>The saved segment this page overwrites, or null when saving creates one.</summary>
    protected virtual long? EditedId => null;

    /// <summary>The data block segment-builder.js starts from: the catalog, the tree and its mistakes.</summary>
    public string EditorData()
    {
        JsonElement? rules = null;
        try
        {
            using var document = JsonDocument.Parse(Input.Rules.Length == 0 ? "null" : Input.Rules);
            rules = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            // A tampered or truncated field: the editor starts afresh and the error says why.
        }
        // The default encoder escapes <, > and &, so no text in the tree can close the script element.
        return JsonSerializer.Serialize(new
        {
            fields = SegmentFields.All.Select(f => new
            {
                name = f.Name,
                label = f.Label,
                type = f.Type.ToString().ToLowerInvariant(),
                operators = SegmentFields.OperatorsFor(f.Type).Select(op => new { name = op, label = OperatorLabel(f.Type, op), value = ValueKind(f.Type, op) }),
            }),
            rules,
            errors = RuleErrors.Select(e => new ErrorAnswer(e.Path, e.Message)),
            maxDepth = audience.Limits.MaxDepth,
        });
    }

    /// <summary>The preview takes the API's preview body, <c>{"rules": …}</c>, within the API's limit.</summary>
    [BodyLimit(SegmentsApi.MaxBodyBytes)]
    public async Task<IActionResult> OnPostPreviewAsync([FromBody] JsonElement body, CancellationToken ct)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("rules", out var rules))
        {
            return new JsonResult(new PreviewAnswer(null, null, [], [new("", "The preview needs {\"rules\": …}.")], null));
        }
        var (tree, errors) = SegmentRulesParser.Parse(rules, audience.Limits);
        if (tree is null)
        {
            return new JsonResult(new PreviewAnswer(null, null, [], [.. errors.Select(e => new ErrorAnswer(e.Path, e.Message))], null));
        }
        var preview = await audience.PreviewAsync(tree, SampleSize, ct);
        var sample = preview.Sample.Select(c => new SampleRow(
            c.Id, c.Name, c.Email, c.City ?? "", format.Money(c.TotalSpend), format.Count(c.OrderCount),
            c.LastOrderAt is { } last ? format.Age(last) : "never")).ToList();
        return new JsonResult(new PreviewAnswer(preview.Count, format.Count(preview.Count), sample, [], SegmentDescription.Describe(tree, format)));
    }

    /// <summary>Saves the form: the tree the API would take (its JSON within the API's limit), url-encoded in a hidden field.</summary>
    [BodyLimit(SegmentsApi.MaxBodyBytes * 3 + PageBodyLimits.DefaultMaxBytes)]
    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Input.Name = Input.Name?.Trim() ?? "";
        Input.Rules ??= "";
        if (EditedId is { } id && !await commands.ExistsAsync(id, ct))
        {
            return NotFound();
        }
        if (ReadRules() is not { } rules)
        {
            return Page();
        }
        var draft = new SegmentCommands.SegmentDraft(Input.Name, rules);
        // The form's own checks (the annotations on Input) speak first; the commands' decide.
        if (!ModelState.IsValid)
        {
            RuleErrors = commands.Validate(draft).Errors.Rules;
            return Page();
        }
        var result = EditedId is { } editedId
            ? await commands.UpdateAsync(editedId, draft, User.Author(), ct)
            : await commands.CreateAsync(draft, User.Author(), ct);
        switch (result.Outcome)
        {
            case SegmentCommands.Outcome.Done:
                TempData.Success($"Saved “{result.Segment!.Name}”.");
                return RedirectToPage("/Segments/Index");
            case SegmentCommands.Outcome.NotFound:
                return NotFound();
            case SegmentCommands.Outcome.NameTaken:
                ModelState.AddModelError("Input.Name", $"A segment named “{Input.Name}” exists already.");
                return Page();
            default:
                if (result.Errors!.Name is { } nameError)
                {
                    ModelState.AddModelError("Input.Name", nameError);
                }
                RuleErrors = result.Errors.Rules;
                return Page();
        }
    }

    /// <summary>Fills the form from a saved segment's draft, or its copy's; false when there is none with that id.</summary>
    protected async Task<bool> LoadAsync(long id, bool asCopy, CancellationToken ct)
    {
        var draft = asCopy ? await commands.DuplicateAsync(id, ct) : await commands.DraftOfAsync(id, ct);
        if (draft is null)
        {
            return false;
        }
        Input = new EditorInput { Name = draft.Name ?? "", Rules = draft.Rules?.GetRawText() ?? "" };
        return true;
    }

    /// <summary>The hidden field's tree as JSON; null, with the reason shown, when a tampered or truncated field cannot be read.</summary>
    private JsonElement? ReadRules()
    {
        try
        {
            using var document = JsonDocument.Parse(Input.Rules);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            RuleErrors = [new SegmentError("", "The rules could not be read; build them again.")];
            return null;
        }
    }

    private static string OperatorLabel(FieldType type, string op) => op switch
    {
        Operators.EqualTo => type == FieldType.Number ? "equals" : "is",
        Operators.NotEqualTo => type == FieldType.Number ? "does not equal" : "is not",
        Operators.Contains => "contains",
        Operators.StartsWith => "starts with",
        Operators.EndsWith => "ends with",
        Operators.In => "is one of",
        Operators.IsEmpty => "is empty",
        Operators.IsNotEmpty => "is not empty",
        Operators.GreaterThan => "is more than",
        Operators.AtLeast => "is at least",
        Operators.LessThan => "is less than",
        Operators.AtMost => "is at most",
        Operators.Between => "is between",
        Operators.Before => "is before",
        Operators.After => "is after",
        Operators.InLastDays => "is in the last … days",
        Operators.MoreThanDaysAgo => "is more than … days ago",
        _ => op,
    };

    /// <summary>The input the value needs: none, text, list, number, range, date, dates or days.</summary>
    private static string ValueKind(FieldType type, string op) => (type, op) switch
    {
        (_, Operators.IsEmpty or Operators.IsNotEmpty) => "none",
        (_, Operators.In) => "list",
        (_, Operators.InLastDays or Operators.MoreThanDaysAgo) => "days",
        (FieldType.Number, Operators.Between) => "range",
        (_, Operators.Between) => "dates",
        (FieldType.Text, _) => "text",
        (FieldType.Number, _) => "number",
        _ => "date",
    };
}
