using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;
using XenoCrm.Core.Validation;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

/// <summary>
/// Saved segments and the audience preview. Bodies are <c>{"rules": &lt;group&gt;}</c> (preview) and
/// <c>{"name": …, "rules": &lt;group&gt;}</c> (save); a mistake in the tree is reported under the key
/// <c>rules</c> when it concerns the whole tree, else <c>rules: group 2, rule 3</c>, so that every
/// mistake of a request is answered at once. The writes are <see cref="SegmentCommands"/>'.
/// </summary>
public static class SegmentsApi
{
    public const long MaxBodyBytes = 256 * 1024;
    public const int SampleSize = 10;
    // Deep enough for the deepest tree the parser accepts; a deeper document is refused while it is read.
    private const int MaxJsonDepth = 32;
    private const string InvalidTitle = "The segment request is invalid.";
    private static readonly BodyLimits Limits = new(MaxBodyBytes, MaxJsonDepth, $"Send at most {MaxBodyBytes / 1024} KB.");

    /// <summary>The body of a preview.</summary>
    public sealed record PreviewRequest(JsonElement? Rules);

    /// <summary>The body of a create or an update: a unique name and the rule tree.</summary>
    public sealed record SaveRequest(string? Name, JsonElement? Rules);

    public sealed record PreviewResponse(int Count, IReadOnlyList<AudienceQuery.SampleCustomer> Sample);

    public sealed record SegmentSummary(long Id, string Name, int Size, DateTime UpdatedAt, string UpdatedBy);

    public sealed record SegmentResponse(
        long Id, string Name, JsonElement Rules, int Size, string CreatedBy, DateTime CreatedAt, string UpdatedBy, DateTime UpdatedAt);

    public static RouteGroupBuilder MapSegmentsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/segments").WithTags("Segments");

        group.MapPost("/preview", PreviewAsync)
            .WithName("PreviewSegment")
            .WithSummary("The number of customers {\"rules\": <group>} selects, and up to 10 of them, newest first.");
        group.MapGet("/", ListAsync)
            .WithName("ListSegments")
            .WithSummary("Every saved segment by name, with its current size.");
        group.MapGet("/{id:long}", GetAsync)
            .WithName("GetSegment")
            .WithSummary("One saved segment with its rules and current size.");
        group.MapPost("/", CreateAsync)
            .WithIdempotencyKey(MaxBodyBytes)
            .WithName("CreateSegment")
            .WithSummary("Save {\"name\": …, \"rules\": <group>}; names are unique (409 otherwise).");
        group.MapPut("/{id:long}", UpdateAsync)
            .WithName("UpdateSegment")
            .WithSummary("Replace a segment's name and rules (same body as create).");
        group.MapDelete("/{id:long}", DeleteAsync)
            .WithName("DeleteSegment")
            .WithSummary("Delete a saved segment; refused (409) while a scheduled or sending campaign uses it. Finished campaigns keep their frozen copy.");

        return group;
    }

    private static async Task<Results<Ok<PreviewResponse>, ValidationProblem, ProblemHttpResult>> PreviewAsync(
        HttpContext http, AudienceQuery audience, SegmentCommands commands, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync<PreviewRequest>(http, Limits);
        if (body.Value is null)
        {
            return body.Refused is { } refused ? refused : Invalid(body.Errors);
        }
        // The preview needs no name: only the tree's mistakes count.
        var (_, tree, errors) = commands.Validate(new SegmentCommands.SegmentDraft(Name: "", body.Value.Rules));
        (errors with { Name = null }).AddTo(body.Errors);
        if (body.Errors.Any)
        {
            return Invalid(body.Errors);
        }
        var preview = await audience.PreviewAsync(tree!, SampleSize, ct);
        return TypedResults.Ok(new PreviewResponse(preview.Count, preview.Sample));
    }

    private static async Task<Ok<List<SegmentSummary>>> ListAsync(CrmDbContext db, AudienceQuery audience, CancellationToken ct)
    {
        var segments = await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct);
        var summaries = new List<SegmentSummary>(segments.Count);
        foreach (var segment in segments)
        {
            var size = await audience.CountAsync(SegmentRulesJson.Read(segment.Rules), ct);
            summaries.Add(new SegmentSummary(segment.Id, segment.Name, size, segment.UpdatedAt, segment.UpdatedBy));
        }
        return TypedResults.Ok(summaries);
    }

    private static async Task<Results<Ok<SegmentResponse>, ProblemHttpResult>> GetAsync(CrmDbContext db, AudienceQuery audience, long id, CancellationToken ct) =>
        await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) is { } segment
            ? TypedResults.Ok(await ToResponseAsync(segment, audience, ct))
            : NotFound(id);

    private static async Task<Results<Created<SegmentResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext http, SegmentCommands commands, AudienceQuery audience, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync<SaveRequest>(http, Limits);
        if (body.Value is null)
        {
            return body.Refused is { } refused ? refused : Invalid(body.Errors);
        }
        var draft = new SegmentCommands.SegmentDraft(body.Value.Name, body.Value.Rules);
        if (!body.Errors.Any)
        {
            var result = await commands.CreateAsync(draft, http.User.Author(), ct);
            return result.Outcome switch
            {
                SegmentCommands.Outcome.Done => TypedResults.Created($"/api/v1/segments/{result.Segment!.Id}", await ToResponseAsync(result.Segment, audience, ct)),
                SegmentCommands.Outcome.Invalid => Invalid(body.Errors, result.Errors!),
                _ => Conflict(draft.Name!.Trim()),
            };
        }
        return Invalid(body.Errors, commands.Validate(draft).Errors);
    }

    private static async Task<Results<Ok<SegmentResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        HttpContext http, SegmentCommands commands, AudienceQuery audience, long id, CancellationToken ct)
    {
        var body = await RequestBody.ReadAsync<SaveRequest>(http, Limits);
        if (body.Value is null)
        {
            return body.Refused is { } refused ? refused : Invalid(body.Errors);
        }
        var draft = new SegmentCommands.SegmentDraft(body.Value.Name, body.Value.Rules);
        if (!body.Errors.Any)
        {
            var result = await commands.UpdateAsync(id, draft, http.User.Author(), ct);
            return result.Outcome switch
            {
                SegmentCommands.Outcome.Done => TypedResults.Ok(await ToResponseAsync(result.Segment!, audience, ct)),
                SegmentCommands.Outcome.Invalid => Invalid(body.Errors, result.Errors!),
                SegmentCommands.Outcome.NotFound => NotFound(id),
                _ => Conflict(draft.Name!.Trim()),
            };
        }
        return Invalid(body.Errors, commands.Validate(draft).Errors);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(SegmentCommands commands, long id, CancellationToken ct)
    {
        var result = await commands.DeleteAsync(id, ct);
        return result.Outcome switch
        {
            SegmentCommands.Outcome.Done => TypedResults.NoContent(),
            SegmentCommands.Outcome.InUse => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The segment is in use.", detail: result.Reason),
            _ => NotFound(id),
        };
    }

    private static async Task<SegmentResponse> ToResponseAsync(Segment segment, AudienceQuery audience, CancellationToken ct)
    {
        var size = await audience.CountAsync(SegmentRulesJson.Read(segment.Rules), ct);
        using var rules = JsonDocument.Parse(segment.Rules);
        return new SegmentResponse(segment.Id, segment.Name, rules.RootElement.Clone(), size,
            segment.CreatedBy, segment.CreatedAt, segment.UpdatedBy, segment.UpdatedAt);
    }

    private static ValidationProblem Invalid(ValidationErrors errors, SegmentCommands.DraftErrors? draftErrors = null)
    {
        draftErrors?.AddTo(errors);
        return RequestBody.Invalid(errors, InvalidTitle);
    }

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No segment has id {id}.");

    private static ProblemHttpResult Conflict(string name) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"A segment named '{name}' already exists.",
            detail: "Segment names are unique; choose another name or update the existing segment.");
}
