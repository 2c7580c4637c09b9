using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Campaigns;
using XenoCrm.Core.Data;
using XenoCrm.Web.Audit;
using XenoCrm.Web.Authentication;

namespace XenoCrm.Web.Api;

/// <summary>
/// Campaigns: create a draft (<c>{"name", "segmentId", "template"}</c>), send it now or at a time
/// (<c>POST /{id}/send</c> with <c>{"at": "2026-12-01T09:00:00+05:30", "timeZone": "Asia/Kolkata"}</c> or no body),
/// cancel, retry the failed recipients, and read statistics and the message log. Every number comes
/// from <c>communication_log</c> (the campaign's counters move in the same transactions as its rows).
/// </summary>
public static class CampaignsApi
{
    private const long MaxBodyBytes = 64 * 1024;
    private const int TemplatePreviewCustomers = 3;

    private static readonly BodyLimits Limits = new(MaxBodyBytes, MaxDepth: 8, $"Send at most {MaxBodyBytes / 1024} KB.");

    /// <summary>The body of a create or an update: a draft.</summary>
    public sealed record CampaignBody(
        [property: Required, MaxLength(Campaign.NameMaxLength)]
        string? Name,
        [property: Required, Description("The saved segment the campaign goes to.")]
        long? SegmentId,
        [property: Required, MaxLength(Campaign.TemplateMaxLength), Description("Liquid, e.g. Hi {{ customer.first_name | default: 'there' }}; checked on save.")]
        string? Template);

    /// <summary>The body of a send: none to send now, a time to schedule.</summary>
    public sealed record SendBody(
        [property: Description("When to send; ISO 8601 with an offset.")]
        DateTimeOffset? At,
        [property: Description("The IANA time zone the time was chosen in, e.g. Asia/Kolkata.")]
        string? TimeZone);

    /// <summary>The body of a template preview.</summary>
    public sealed record TemplatePreviewBody(
        [property: Required, MaxLength(Campaign.TemplateMaxLength), Description("Liquid; customer.name, customer.first_name, customer.email, customer.city, …")]
        string? Template,
        [property: Required]
        long? SegmentId);

    public sealed record RenderedPreview(long CustomerId, string CustomerName, string Message);

    public static RouteGroupBuilder MapCampaignsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/campaigns").WithTags("Campaigns");

        group.MapGet("/", ListAsync)
            .WithName("ListCampaigns")
            .WithSummary("Campaigns, newest first, with audience size, sent, failed, pending and delivery rate.");
        group.MapGet("/{id:long}", GetAsync)
            .WithName("GetCampaign")
            .WithSummary("One campaign: its numbers, failures by reason, the frozen segment rules and the template.");
        group.MapPost("/", CreateAsync)
            .WithIdempotencyKey(MaxBodyBytes)
            .WithName("CreateCampaign")
            .WithSummary("Create a draft: {\"name\", \"segmentId\", \"template\"} with a Liquid template such as \"Hi {{ customer.name | default: 'there' }}!\".");
        group.MapPut("/{id:long}", UpdateAsync)
            .WithName("UpdateCampaign")
            .WithSummary("Replace a draft's or scheduled campaign's name, segment and template.");
        group.MapDelete("/{id:long}", DeleteAsync)
            .WithName("DeleteCampaign")
            .WithSummary("Delete a draft (a campaign that sent anything stays as history).");
        group.MapPost("/{id:long}/send", SendAsync)
            .WithIdempotencyKey(MaxBodyBytes)
            .WithName("SendCampaign")
            .WithSummary("Send now (no body), or schedule with {\"at\": \"2026-12-01T09:00:00+05:30\", \"timeZone\": \"Asia/Kolkata\"}.");
        group.MapPost("/{id:long}/cancel", CancelAsync)
            .WithName("CancelCampaign")
            .WithSummary("Cancel a scheduled or sending campaign; recipients not yet handed to Delivery end Skipped.");
        group.MapPost("/{id:long}/retry-failed", RetryFailedAsync)
            .WithIdempotencyKey(MaxBodyBytes)
            .WithName("RetryFailedCampaignMessages")
            .WithSummary("Resend only the failed recipients of a completed campaign, as its next attempt.");
        group.MapGet("/{id:long}/messages", ListMessagesAsync)
            .WithName("ListCampaignMessages")
            .WithSummary("The campaign's message log by id, filtered by status (pending, submitted, sent, failed, skipped) and searched by customer name or email.");
        group.MapPost("/template-preview", PreviewTemplateAsync)
            .WithName("PreviewCampaignTemplate")
            .WithSummary("Check {\"template\", \"segmentId\"} and render it for a few real customers of the segment.");

        return group;
    }

    private static async Task<Results<Ok<Paged<CampaignStatistics.Summary>>, ValidationProblem>> ListAsync(
        CrmDbContext db, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default) =>
        Paged.Validate(page, pageSize) is { } invalid
            ? invalid
            : TypedResults.Ok(await Paged.ReadAsync(CampaignStatistics.Summaries(db), page, pageSize, ct));

    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> GetAsync(CrmDbContext db, long id, CancellationToken ct) =>
        await CampaignStatistics.DetailAsync(db, id, ct) is { } detail ? TypedResults.Ok(detail) : NotFound(id);

    private static async Task<Results<Created<CampaignStatistics.Detail>, ProblemHttpResult>> CreateAsync(
        HttpContext http, CampaignCommands commands, CrmDbContext db, CancellationToken ct)
    {
        var (body, refused) = await ReadDraftAsync(http);
        if (body is null)
        {
            return refused!;
        }
        var result = await commands.CreateAsync(new(body.Name, body.SegmentId, body.Template), http.User.Author(), ct);
        if (result.Outcome != CampaignCommands.Outcome.Done)
        {
            return ToProblem(result, 0);
        }
        var id = result.Campaign!.Id;
        return TypedResults.Created($"/api/v1/campaigns/{id}", await CampaignStatistics.DetailAsync(db, id, ct));
    }

    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> UpdateAsync(
        HttpContext http, CampaignCommands commands, CrmDbContext db, long id, CancellationToken ct)
    {
        var (body, refused) = await ReadDraftAsync(http);
        if (body is null)
        {
            return refused!;
        }
        var result = await commands.UpdateAsync(id, new(body.Name, body.SegmentId, body.Template), ct);
        return await DetailOrProblemAsync(result, db, id, ct);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(HttpContext http, CampaignCommands commands, long id, CancellationToken ct)
    {
        var result = await commands.DeleteAsync(id, http.AuditActor(), ct);
        return result.Outcome == CampaignCommands.Outcome.Done ? TypedResults.NoContent() : ToProblem(result, id);
    }

    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> SendAsync(
        HttpContext http, CampaignCommands commands, CrmDbContext db, long id, CancellationToken ct)
    {
        var body = new SendBody(null, null);
        if (http.Request.ContentLength is > 0 || http.Request.HasJsonContentType())
        {
            (var read, var refused) = await ReadAsync<SendBody>(http);
            if (read is null)
            {
                return refused!;
            }
            body = read;
        }
        var result = await commands.SendAsync(id, body.At?.UtcDateTime, body.TimeZone, http.AuditActor(), ct);
        return await DetailOrProblemAsync(result, db, id, ct);
    }

    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> CancelAsync(
        HttpContext http, CampaignCommands commands, CrmDbContext db, long id, CancellationToken ct) =>
        await DetailOrProblemAsync(await commands.CancelAsync(id, http.AuditActor(), ct), db, id, ct);

    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> RetryFailedAsync(
        HttpContext http, CampaignCommands commands, CrmDbContext db, long id, CancellationToken ct) =>
        await DetailOrProblemAsync(await commands.RetryFailedAsync(id, http.AuditActor(), ct), db, id, ct);

    private static async Task<Results<Ok<Paged<CampaignStatistics.MessageRow>>, ValidationProblem, ProblemHttpResult>> ListMessagesAsync(
        CrmDbContext db, long id, string? status, string? search, int page = 1, int pageSize = Paged.DefaultPageSize, CancellationToken ct = default)
    {
        if (Paged.Validate(page, pageSize) is { } invalid)
        {
            return invalid;
        }
        if (!CampaignStatistics.TryParseStatus(status, out var parsed))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["status"] = [$"One of {string.Join(", ", Enum.GetNames<MessageStatus>().Select(n => n.ToLowerInvariant()))}."],
            });
        }
        if (!await db.Campaigns.AnyAsync(c => c.Id == id, ct))
        {
            return NotFound(id);
        }
        return TypedResults.Ok(await Paged.ReadAsync(CampaignStatistics.Messages(db, id, parsed, search), page, pageSize, ct));
    }

    private static async Task<Results<Ok<List<RenderedPreview>>, ProblemHttpResult>> PreviewTemplateAsync(
        HttpContext http, CampaignTemplatePreview previews, CancellationToken ct)
    {
        var (body, refused) = await ReadAsync<TemplatePreviewBody>(http);
        if (body is null)
        {
            return refused!;
        }
        var result = await previews.RenderAsync(body.Template, body.SegmentId, TemplatePreviewCustomers, ct);
        return result.Errors.Count > 0
            ? Invalid(result.Errors)
            : TypedResults.Ok(result.Messages.Select(m => new RenderedPreview(m.CustomerId, m.CustomerName, m.Message)).ToList());
    }

    /// <summary>
    /// Reads the body into <typeparamref name="T"/> (<see cref="RequestBody"/>): 415, 413, or a 400 naming every
    /// unknown member and every value of the wrong type at once.
    /// </summary>
    private static async Task<(T? Body, ProblemHttpResult? Refused)> ReadAsync<T>(HttpContext http) where T : class
    {
        var read = await RequestBody.ReadAsync<T>(http, Limits);
        if (read.Refused is not null)
        {
            return (null, read.Refused);
        }
        return read.Errors.Any || read.Value is null ? (null, Invalid(read.Errors.ByField())) : (read.Value, null);
    }

    /// <summary>
    /// Reads a draft's body; when a member has the wrong type, the draft's other members are still judged, so
    /// that one answer names every mistake (a wrong segmentId does not hide a missing name).
    /// </summary>
    private static async Task<(CampaignBody? Body, ProblemHttpResult? Refused)> ReadDraftAsync(HttpContext http)
    {
        var read = await RequestBody.ReadAsync<CampaignBody>(http, Limits);
        if (read.Refused is not null)
        {
            return (null, read.Refused);
        }
        if (!read.Errors.Any)
        {
            return (read.Value, null);
        }
        if (read.Value is { } partial)
        {
            var commands = http.RequestServices.GetRequiredService<CampaignCommands>();
            foreach (var (field, messages) in await commands.ValidateAsync(new(partial.Name, partial.SegmentId, partial.Template), http.RequestAborted))
            {
                if (!read.Errors.Has(field))
                {
                    foreach (var message in messages)
                    {
                        read.Errors.Add(field, message);
                    }
                }
            }
        }
        return (null, Invalid(read.Errors.ByField()));
    }

    // Validation problems travel as ProblemHttpResult (same JSON as ValidationProblem) so that every endpoint declares one failure type.
    private static ProblemHttpResult Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest, Title = "One or more validation errors occurred." });

    /// <summary>A command's answer: the campaign as it now stands, or the problem that stopped it.</summary>
    private static async Task<Results<Ok<CampaignStatistics.Detail>, ProblemHttpResult>> DetailOrProblemAsync(
        CampaignCommands.Result result, CrmDbContext db, long id, CancellationToken ct) =>
        result.Outcome == CampaignCommands.Outcome.Done
            ? TypedResults.Ok((await CampaignStatistics.DetailAsync(db, id, ct))!)
            : ToProblem(result, id);

    private static ProblemHttpResult ToProblem(CampaignCommands.Result result, long id) => result.Outcome switch
    {
        CampaignCommands.Outcome.Invalid => Invalid(result.Errors!),
        CampaignCommands.Outcome.NotFound => NotFound(id),
        _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The campaign's status does not allow this.", detail: result.Reason),
    };

    private static ProblemHttpResult NotFound(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No campaign has id {id}.");
}
