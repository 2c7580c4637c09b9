using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Web.Api;

/// <summary>
/// Saved segments and the audience preview. Bodies are <c>{"rules": &lt;group&gt;}</c> (preview) and
/// <c>{"name": …, "rules": &lt;group&gt;}</c> (save); a mistake in the tree is reported under the key
/// <c>rules</c> when it concerns the whole tree, else <c>rules: group 2, rule 3</c>, so that every
/// mistake of a request is answered at once.
/// </summary>
public static class SegmentsApi
{
    public const long MaxBodyBytes = 256 * 1024;
    public const int SampleSize = 10;
    // Deep enough for the deepest tree the parser accepts; a deeper document is refused while it is read.
    private const int MaxJsonDepth = 32;
    private static readonly HashSet<string> PreviewMembers = ["rules"];
    private static readonly HashSet<string> SaveMembers = ["name", "rules"];

    public sealed record PreviewResponse(int Count, IReadOnlyList<AudienceQuery.SampleCustomer> Sample);

    public sealed record SegmentSummary(long Id, string Name, int Size, DateTime UpdatedAt, string UpdatedBy);

    public sealed record SegmentResponse(
        long Id, string Name, JsonElement Rules, int Size, string CreatedBy, DateTime CreatedAt, string UpdatedBy, DateTime UpdatedAt);

    public static RouteGroupBuilder MapSegmentsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/segments").WithTags("Segments");

        group.MapPost("/preview", async Task<Results<Ok<PreviewResponse>, ValidationProblem, ProblemHttpResult>> (
                HttpContext http, AudienceQuery audience, CancellationToken ct) =>
            {
                var read = await ReadAsync(http, PreviewMembers, audience.Limits);
                if (read.Refused is not null)
                {
                    return read.Refused;
                }
                if (read.Invalid is not null)
                {
                    return read.Invalid;
                }
                var preview = await audience.PreviewAsync(read.Rules!, SampleSize, ct);
                return TypedResults.Ok(new PreviewResponse(preview.Count, preview.Sample));
            })
            .WithName("PreviewSegment")
            .WithSummary("The number of customers {\"rules\": <group>} selects, and up to 10 of them, newest first.");

        group.MapGet("/", async Task<Ok<List<SegmentSummary>>> (CrmDbContext db, AudienceQuery audience, CancellationToken ct) =>
            {
                var segments = await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
                var summaries = new List<SegmentSummary>(segments.Count);
                foreach (var segment in segments)
                {
                    var size = await audience.CountAsync(SegmentRulesJson.Read(segment.Rules), ct);
                    summaries.Add(new SegmentSummary(segment.Id, segment.Name, size, segment.UpdatedAt, segment.UpdatedBy));
                }
                return TypedResults.Ok(summaries);
            })
            .WithName("ListSegments")
            .WithSummary("Every saved segment by name, with its current size.");

        group.MapGet("/{id:long}", async Task<Results<Ok<SegmentResponse>, ProblemHttpResult>> (
                CrmDbContext db, AudienceQuery audience, long id, CancellationToken ct) =>
                await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } segment
                    ? TypedResults.Ok(await ToResponseAsync(segment, audience, ct))
                    : NotFound(id))
            .WithName("GetSegment")
            .WithSummary("One saved segment with its rules and current size.");

        group.MapPost("/", async Task<Results<Created<SegmentResponse>, ValidationProblem, ProblemHttpResult>> (
                HttpContext http, CrmDbContext db, AudienceQuery audience, TimeProvider clock, CancellationToken ct) =>
            {
                var read = await ReadAsync(http, SaveMembers, audience.Limits);
                if (read.Refused is not null)
                {
                    return read.Refused;
                }
                if (read.Invalid is not null)
                {
                    return read.Invalid;
                }
                var name = read.Name!;
                if (await NameTakenAsync(db, name, exceptId: null, ct))
                {
                    return Conflict(name);
                }
                var now = clock.GetUtcNow().UtcDateTime;
                var author = Author(http);
                var segment = new Segment
                {
                    Name = name,
                    Rules = SegmentRulesJson.Write(read.Rules!),
                    CreatedBy = author,
                    CreatedAt = now,
                    UpdatedBy = author,
                    UpdatedAt = now,
                };
                db.Segments.Add(segment);
                if (!await SaveAsync(db, name, segment.Id, ct))
                {
                    return Conflict(name);
                }
                return TypedResults.Created($"/api/v1/segments/{segment.Id}", await ToResponseAsync(segment, audience, ct));
            })
            .WithName("CreateSegment")
            .WithSummary("Save {\"name\": …, \"rules\": <group>}; names are unique (409 otherwise).");

        group.MapPut("/{id:long}", async Task<Results<Ok<SegmentResponse>, ValidationProblem, ProblemHttpResult>> (
                HttpContext http, CrmDbContext db, AudienceQuery audience, TimeProvider clock, long id, CancellationToken ct) =>
            {
                var read = await ReadAsync(http, SaveMembers, audience.Limits);
                if (read.Refused is not null)
                {
                    return read.Refused;
                }
                if (read.Invalid is not null)
                {
                    return read.Invalid;
                }
                if (await db.Segments.SingleOrDefaultAsync(s => s.Id == id, ct) is not { } segment)
                {
                    return NotFound(id);
                }
                var name = read.Name!;
                if (await NameTakenAsync(db, name, exceptId: id, ct))
                {
                    return Conflict(name);
                }
                segment.Name = name;
                segment.Rules = SegmentRulesJson.Write(read.Rules!);
                segment.UpdatedBy = Author(http);
                segment.UpdatedAt = clock.GetUtcNow().UtcDateTime;
                if (!await SaveAsync(db, name, id, ct))
                {
                    return Conflict(name);
                }
                return TypedResults.Ok(await ToResponseAsync(segment, audience, ct));
            })
            .WithName("UpdateSegment")
            .WithSummary("Replace a segment's name and rules (same body as create).");

        group.MapDelete("/{id:long}", async Task<Results<NoContent, ProblemHttpResult>> (CrmDbContext db, long id, CancellationToken ct) =>
            {
                var user = await db.Campaigns
                    .Where(c => c.SegmentId == id && (c.Status == CampaignStatus.Scheduled || c.Status == CampaignStatus.Sending))
                    .Select(c => new { c.Id, c.Name, c.Status })
                    .FirstOrDefaultAsync(ct);
                if (user is not null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The segment is in use.",
                        detail: $"Campaign {user.Id} ('{user.Name}') is {user.Status.ToString().ToLowerInvariant()} to this segment; cancel it or wait until it completes.");
                }
                var deleted = await db.Segments.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
                return deleted == 0 ? NotFound(id) : TypedResults.NoContent();
            })
            .WithName("DeleteSegment")
            .WithSummary("Delete a saved segment; refused (409) while a scheduled or sending campaign uses it. Finished campaigns keep their frozen copy.");

        return group;
    }

    private static async Task<SegmentResponse> ToResponseAsync(Segment segment, AudienceQuery audience, CancellationToken ct)
    {
        var size = await audience.CountAsync(SegmentRulesJson.Read(segment.Rules), ct);
        using var rules = JsonDocument.Parse(segment.Rules);
        return new SegmentResponse(segment.Id, segment.Name, rules.RootElement.Clone(), size,
            segment.CreatedBy, segment.CreatedAt, segment.UpdatedBy, segment.UpdatedAt);
    }

    private static string Author(HttpContext http) => http.User.Identity?.Name ?? "unknown";

    // The database's collation decides what "the same name" is, as it does for the unique index.
    private static Task<bool> NameTakenAsync(CrmDbContext db, string name, long? exceptId, CancellationToken ct) =>
        db.Segments.AnyAsync(s => s.Name == name && s.Id != exceptId, ct);

    /// <summary>Saves, answering false when a concurrent request took the name between the check and the insert.</summary>
    private static async Task<bool> SaveAsync(CrmDbContext db, string name, long ownId, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Segments.AnyAsync(s => s.Name == name && s.Id != ownId, ct))
            {
                return false;
            }
            throw;
        }
    }

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No segment has id {id}.");

    private static ProblemHttpResult Conflict(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"A segment named '{name}' already exists.",
            detail: "Segment names are unique; choose another name or update the existing segment.");

    private sealed record ReadResult(string? Name, RuleGroup? Rules, ValidationProblem? Invalid = null, ProblemHttpResult? Refused = null);

    /// <summary>Reads and validates the body: 415, 413, or 400 with every mistake; else the name (when asked for) and the rule tree.</summary>
    private static async Task<ReadResult> ReadAsync(HttpContext http, HashSet<string> members, SegmentLimits limits)
    {
        var body = await JsonBody.ReadAsync(http, MaxBodyBytes, MaxJsonDepth, $"Send at most {MaxBodyBytes / 1024} KB.");
        if (body.Refused is not null || body.Invalid is not null)
        {
            return new(null, null, body.Invalid, body.Refused);
        }
        var document = body.Document!;

        using (document)
        {
            var root = document.RootElement;
            var shape = members.Contains("name") ? "{\"name\": …, \"rules\": <group>}" : "{\"rules\": <group>}";
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Invalid(new() { ["$"] = [$"Send a JSON object: {shape}."] });
            }
            if (HasUnreadableText(root))
            {
                return Invalid(new() { ["$"] = ["The body has a text that is not valid Unicode (a lone surrogate such as \\ud800)."] });
            }
            var errors = new Dictionary<string, List<string>>();
            foreach (var unknown in root.EnumerateObject().Select(m => m.Name).Where(n => !members.Contains(n)).Distinct().Take(10))
            {
                errors[Shorten(unknown)] = [$"Unknown member; send {shape}."];
            }
            var name = members.Contains("name") ? Name(root, errors) : null;
            RuleGroup? rules = null;
            if (!root.TryGetProperty("rules", out var rulesJson))
            {
                errors["rules"] = ["Required: a group such as {\"op\": \"and\", \"rules\": [{\"field\": \"city\", \"operator\": \"equals\", \"value\": \"Pune\"}]}."];
            }
            else
            {
                var (tree, ruleErrors) = SegmentRulesParser.Parse(rulesJson, limits);
                rules = tree;
                foreach (var error in ruleErrors)
                {
                    var key = error.Path.Length == 0 ? "rules" : $"rules: {error.Path}";
                    (errors.TryGetValue(key, out var list) ? list : errors[key] = []).Add(error.ToString());
                }
            }
            return errors.Count > 0 ? Invalid(errors.ToDictionary(e => e.Key, e => e.Value)) : new(name, rules);
        }
    }

    /// <summary>
    /// JSON may escape half a surrogate pair ("\ud800"), which parses but cannot become a .NET
    /// string: reading it throws, so such a body is refused before anything reads its texts.
    /// </summary>
    private static bool HasUnreadableText(JsonElement json)
    {
        try
        {
            return json.ValueKind switch
            {
                JsonValueKind.String => json.GetString() is null,
                JsonValueKind.Array => json.EnumerateArray().Any(HasUnreadableText),
                JsonValueKind.Object => json.EnumerateObject().Any(m => m.Name is null || HasUnreadableText(m.Value)),
                _ => false,
            };
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static string? Name(JsonElement root, Dictionary<string, List<string>> errors)
    {
        if (!root.TryGetProperty("name", out var json) || json.ValueKind != JsonValueKind.String)
        {
            errors["name"] = [$"Required: a text of 1 to {Segment.NameMaxLength} characters."];
            return null;
        }
        var name = json.GetString()!.Trim();
        if (name.Length is 0 or > Segment.NameMaxLength)
        {
            errors["name"] = [$"Must be 1 to {Segment.NameMaxLength} characters once trimmed; it is {name.Length}."];
            return null;
        }
        return name;
    }

    private static ReadResult Invalid(Dictionary<string, List<string>> errors) =>
        new(null, null, Invalid: TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            title: "The segment request is invalid."));

    // An unknown member's name is echoed back as a key; a 100 KB one must not be.
    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
