using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Core.Validation;

namespace XenoCrm.Core.Segments;

/// <summary>
/// Every write to saved segments, for the API and the pages alike: one validation (the name, and the rule tree
/// through <see cref="SegmentRulesParser"/>), one clock, and the author as the caller's adapter names them.
/// </summary>
public sealed class SegmentCommands(CrmDbContext db, AudienceQuery audience, TimeProvider clock)
{
    /// <summary>A segment as a form or a request gives it: nothing in it is checked yet.</summary>
    public sealed record SegmentDraft(string? Name, JsonElement? Rules);

    /// <summary>What is wrong with a draft: the name's mistake, and the tree's mistakes with their place in it.</summary>
    public sealed record DraftErrors(string? Name, IReadOnlyList<SegmentError> Rules)
    {
        public bool Any => Name is not null || Rules.Count > 0;

        /// <summary>Into a request's errors: <c>name</c>, <c>rules</c> for the whole tree, else <c>rules: group 2, rule 3</c>.</summary>
        public void AddTo(ValidationErrors errors)
        {
            if (Name is not null)
            {
                errors.Add("name", Name);
            }
            foreach (var error in Rules)
            {
                errors.Add(error.Path.Length == 0 ? "rules" : $"rules: {error.Path}", error.ToString());
            }
        }
    }

    public enum Outcome { Done, Invalid, NotFound, NameTaken, InUse }

    /// <param name="Reason">Why a delete was refused: the campaign that uses the segment.</param>
    public sealed record Result(Outcome Outcome, Segment? Segment = null, DraftErrors? Errors = null, string? Reason = null);

    public const string CopyPrefix = "Copy of ";

    /// <summary>Checks a draft; the trimmed name and the tree when it has no mistake.</summary>
    public (string? Name, RuleGroup? Tree, DraftErrors Errors) Validate(SegmentDraft draft)
    {
        string? name = null;
        string? nameError = null;
        if (draft.Name is null)
        {
            nameError = $"Required: a text of 1 to {Segment.NameMaxLength} characters.";
        }
        else
        {
            var trimmed = draft.Name.Trim();
            if (trimmed.Length is 0 or > Segment.NameMaxLength)
            {
                nameError = $"Must be 1 to {Segment.NameMaxLength} characters once trimmed; it is {trimmed.Length}.";
            }
            else
            {
                name = trimmed;
            }
        }
        if (draft.Rules is not { } rules)
        {
            return (name, null, new DraftErrors(nameError,
                [new SegmentError("", "Required: a group such as {\"op\": \"and\", \"rules\": [{\"field\": \"city\", \"operator\": \"equals\", \"value\": \"Pune\"}]}.")]));
        }
        var (tree, ruleErrors) = SegmentRulesParser.Parse(rules, audience.Limits);
        return (name, tree, new DraftErrors(nameError, ruleErrors));
    }

    public async Task<Result> CreateAsync(SegmentDraft draft, string author, CancellationToken ct)
    {
        var (name, tree, errors) = Validate(draft);
        if (errors.Any)
        {
            return new(Outcome.Invalid, Errors: errors);
        }
        if (await NameTakenAsync(name!, exceptId: null, ct))
        {
            return new(Outcome.NameTaken);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var segment = new Segment
        {
            Name = name!,
            Rules = SegmentRulesJson.Write(tree!),
            CreatedBy = author,
            CreatedAt = now,
            UpdatedBy = author,
            UpdatedAt = now,
        };
        db.Segments.Add(segment);
        return await SaveAsync(segment, ct);
    }

    public async Task<Result> UpdateAsync(long id, SegmentDraft draft, string author, CancellationToken ct)
    {
        var (name, tree, errors) = Validate(draft);
        if (errors.Any)
        {
            // A missing segment is answered first only when there is nothing to fix in the draft.
            return new(Outcome.Invalid, Errors: errors);
        }
        if (await db.Segments.SingleOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
        {
            return new(Outcome.NotFound);
        }
        if (await NameTakenAsync(name!, exceptId: id, ct))
        {
            return new(Outcome.NameTaken);
        }
        segment.Name = name!;
        segment.Rules = SegmentRulesJson.Write(tree!);
        segment.UpdatedBy = author;
        segment.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        return await SaveAsync(segment, ct);
    }

    /// <summary>
    /// Deletes a segment unless a scheduled or sending campaign still goes to it; finished campaigns keep their
    /// frozen copy of the rules, and their segment_id is cleared by the foreign key (ON DELETE SET NULL).
    /// </summary>
    public async Task<Result> DeleteAsync(long id, CancellationToken ct)
    {
        var user = await db.Campaigns
            .Where(c => c.SegmentId == id && (c.Status == CampaignStatus.Scheduled || c.Status == CampaignStatus.Sending))
            .Select(c => new { c.Id, c.Name, c.Status })
            .FirstOrDefaultAsync(ct);
        if (user is not null)
        {
            return new(Outcome.InUse,
                Reason: $"Campaign {user.Id} ('{user.Name}') is {user.Status.ToString().ToLowerInvariant()} to this segment; cancel it or wait until it completes.");
        }
        var deleted = await db.Segments.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
        return new(deleted == 0 ? Outcome.NotFound : Outcome.Done);
    }

    public Task<bool> ExistsAsync(long id, CancellationToken ct) => db.Segments.AnyAsync(s => s.Id == id, ct);

    /// <summary>A saved segment as a draft to edit; null when there is none with that id.</summary>
    public async Task<SegmentDraft?> DraftOfAsync(long id, CancellationToken ct)
    {
        if (await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
        {
            return null;
        }
        using var rules = JsonDocument.Parse(segment.Rules);
        return new SegmentDraft(segment.Name, rules.RootElement.Clone());
    }

    /// <summary>
    /// The draft a copy of a saved segment starts from ("Copy of …", cut to the longest name); saving it
    /// creates a new segment and leaves the original alone. Null when there is none with that id.
    /// </summary>
    public async Task<SegmentDraft?> DuplicateAsync(long id, CancellationToken ct)
    {
        if (await DraftOfAsync(id, ct) is not { } original)
        {
            return null;
        }
        var copy = CopyPrefix + original.Name;
        return original with { Name = copy.Length <= Segment.NameMaxLength ? copy : copy[..Segment.NameMaxLength] };
    }

    // The database's collation decides what "the same name" is, as it does for the unique index:
    // case-insensitively on MariaDB, exactly on SQLite.
    private Task<bool> NameTakenAsync(string name, long? exceptId, CancellationToken ct) =>
        db.Segments.AnyAsync(s => s.Name == name && s.Id != exceptId, ct);

    /// <summary>Saves, answering <see cref="Outcome.NameTaken"/> when a concurrent request took the name between the check and the write.</summary>
    private async Task<Result> SaveAsync(Segment segment, CancellationToken ct)
    {
        var name = segment.Name;
        var ownId = segment.Id;
        try
        {
            await db.SaveChangesAsync(ct);
            return new(Outcome.Done, segment);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await NameTakenAsync(name, ownId == 0 ? null : ownId, ct))
            {
                return new(Outcome.NameTaken);
            }
            throw;
        }
    }
}
