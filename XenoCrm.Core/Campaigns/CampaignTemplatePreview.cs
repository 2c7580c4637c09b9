using Microsoft.EntityFrameworkCore;
using XenoCrm.Core.Data;
using XenoCrm.Core.Segments;

namespace XenoCrm.Core.Campaigns;

/// <summary>Checks a template and renders it for a few real customers of a segment, as the send would.</summary>
public sealed class CampaignTemplatePreview(CrmDbContext db, TimeProvider clock)
{
    public sealed record Rendered(long CustomerId, string CustomerName, string Message);

    public sealed record Result(IReadOnlyList<Rendered> Messages, Dictionary<string, string[]> Errors);

    public async Task<Result> RenderAsync(string? template, long? segmentId, int customers, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var parsed = MessageTemplate.Parse(template ?? "");
        if (parsed.Errors.Count > 0)
        {
            errors["template"] = [.. parsed.Errors.Select(e => e.Message)];
        }
        var segment = segmentId is { } id ? await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id, ct) : null;
        if (segment is null)
        {
            errors["segmentId"] = [segmentId is null ? "Choose the segment to preview with." : $"No segment has id {segmentId}."];
        }
        if (errors.Count > 0)
        {
            return new([], errors);
        }
        var recipients = await db.Customers.AsNoTracking()
            .Where(SegmentCompiler.Compile(SegmentRulesJson.Read(segment!.Rules), clock.GetUtcNow().UtcDateTime, db.Provider))
            .OrderBy(c => c.Id)
            .Take(customers)
            .Select(c => new TemplateCustomer(c.Id, c.Name, c.Email, c.Phone, c.City, c.Country, c.SignedUpAt, c.TotalSpend, c.OrderCount,
                c.AvgOrderValue, c.FirstOrderAt, c.LastOrderAt))
            .ToListAsync(ct);
        var messages = new List<Rendered>(recipients.Count);
        foreach (var customer in recipients)
        {
            try
            {
                messages.Add(new(customer.Id, customer.Name, parsed.Template!.Render(customer)));
            }
            catch (TemplateRenderException ex)
            {
                errors["template"] = [$"For customer {customer.Id}: {ex.Message}"];
                return new([], errors);
            }
        }
        return new(messages, errors);
    }
}
