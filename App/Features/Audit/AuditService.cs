using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Audit;

/// <summary>
/// Which entries to list. Action: an exact action (<c>webhook.created</c>) or an area (<c>webhook</c>). Actor: the user
/// name as recorded. From inclusive, To exclusive. Text: part of the target's name, in any case.
/// </summary>
public sealed record AuditFilter(string? Action = null, string? Actor = null, string? TargetType = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Text = null);

/// <summary>One entry as admins read it; Details is the small JSON object recorded with it.</summary>
public sealed record AuditEntryView(
    long Id,
    DateTimeOffset At,
    string? ActorUserId,
    string ActorName,
    string? Via,
    string? IpAddress,
    string? UserAgent,
    string Action,
    string TargetType,
    string? TargetId,
    string? TargetName,
    JsonNode? Details);

/// <summary>Reads a team's audit log: team admins only. Writing is <see cref="AuditLog"/>'s, inside each change.</summary>
public sealed class AuditService(IDbContextFactory<AppDbContext> dbFactory)
{
    public async Task<Paged<AuditEntryView>> ListAsync(Actor actor, string team, AuditFilter? filter = null, PageRequest? paging = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var query = Filtered(db.AuditEntries.Where(e => e.TeamId == access.TeamId), filter ?? new AuditFilter());
        var page = await query.PageAsync(e => e.Id, paging, rows => rows.Select(e => new
        {
            e.Id, e.At, e.ActorUserId, e.ActorName, e.Via, e.IpAddress, e.UserAgent, e.Action, e.TargetType, e.TargetId, e.TargetName, e.Details,
        }), e => e.Id, ct);
        var items = page.Items.Select(e => new AuditEntryView(e.Id, e.At, e.ActorUserId, e.ActorName, e.Via, e.IpAddress, e.UserAgent, e.Action,
            e.TargetType, e.TargetId, e.TargetName, e.Details is null ? null : JsonNode.Parse(e.Details))).ToList();
        return new Paged<AuditEntryView>(items, page.Page, page.PageSize, page.Total) { TotalCapped = page.TotalCapped, Next = page.Next };
    }

    private static IQueryable<AuditEntry> Filtered(IQueryable<AuditEntry> query, AuditFilter filter)
    {
        if (filter.From is { } from && filter.To is { } to && from >= to)
        {
            throw new InputException("to", "'to' must be later than 'from'.");
        }

        if (Trimmed(filter.TargetType) is { } type)
        {
            query = AuditTargets.All.Contains(type) ? query.Where(e => e.TargetType == type)
                : throw new InputException("targetType", $"Target type must be one of: {string.Join(", ", AuditTargets.All)}.");
        }

        if (Trimmed(filter.Action) is { } action)
        {
            var area = action + ".";
            query = action.Contains('.') ? query.Where(e => e.Action == action) : query.Where(e => e.Action.StartsWith(area));
        }

        if (Trimmed(filter.Actor) is { } name)
        {
            query = query.Where(e => e.ActorName == name || e.ActorUserId == name);
        }

        if (filter.From is { } since)
        {
            query = query.Where(e => e.At >= since);
        }

        if (filter.To is { } until)
        {
            query = query.Where(e => e.At < until);
        }

        if (Trimmed(filter.Text) is { } text)
        {
            // Lower-cased on both sides: SQLite's and PostgreSQL's LIKE differ on case, this does not.
            var lowered = text.ToLowerInvariant();
            query = query.Where(e => e.TargetName != null && e.TargetName.ToLower().Contains(lowered));
        }

        return query;
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
