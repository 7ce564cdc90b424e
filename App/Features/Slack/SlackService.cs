using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Infrastructure.Outbound;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Slack;

/// <summary>What anyone in the team may see of an integration: never its credential.</summary>
public sealed record SlackIntegrationSummary(int Id, string Name, string Channel, string Kind, string CredentialHint, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>
/// What an admin submits. Exactly one of <see cref="WebhookUrl"/> and <see cref="BotToken"/> when creating; when
/// updating, neither keeps the stored credential and either replaces it.
/// </summary>
public sealed record SlackIntegrationInput(string Name, string Channel, string? WebhookUrl = null, string? BotToken = null);

/// <summary>The Test button's answer: whether Slack took the message, and what it said.</summary>
public sealed record SlackTestResult(bool Ok, int? StatusCode, string? ResponseBody, string? Error, long DurationMs);

public sealed class SlackService(
    IDbContextFactory<AppDbContext> dbFactory,
    UrlGuard urlGuard,
    SecretService secrets,
    SlackClient client,
    WebhookTestLimiter testLimiter,
    TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxChannelLength = 100;
    public const int MaxCredentialLength = 2048;

    public async Task<IReadOnlyList<SlackIntegrationSummary>> ListAsync(Actor actor, string teamSlug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, teamSlug, ct);
        return await db.SlackIntegrations.Where(s => s.TeamId == access.TeamId).OrderBy(s => s.Name)
            .Select(s => new SlackIntegrationSummary(s.Id, s.Name, s.Channel, s.Kind, s.CredentialHint, s.UpdatedAt, s.UpdatedBy))
            .ToListAsync(ct);
    }

    public async Task<SlackIntegrationSummary> GetAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default) =>
        (await ListAsync(actor, teamSlug, ct)).FirstOrDefault(s => s.Id == id) ?? throw new NotFoundException($"Slack integration {id} not found.");

    public async Task<SlackIntegrationSummary> CreateAsync(Actor actor, string teamSlug, SlackIntegrationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        if (string.IsNullOrWhiteSpace(input.WebhookUrl) == string.IsNullOrWhiteSpace(input.BotToken))
        {
            throw new InputException("webhookUrl", "Give either a Slack incoming-webhook URL or a bot token (xoxb-…), not both.");
        }

        var integration = new SlackIntegration { TeamId = access.TeamId, CreatedAt = clock.GetUtcNow() };
        await ApplyAsync(db, access.TeamId, integration, input, actor, ct);
        db.SlackIntegrations.Add(integration);
        // The credential (webhook URL or bot token) is never recorded: its kind is.
        await SaveAsync(integration.Name, () => db.SaveThenRecordAsync(() => db.Record(clock, actor, access.TeamId, AuditActions.SlackCreated,
            AuditTarget.Of(AuditTargets.Slack, integration.Id, integration.Name), new { integration.Channel, integration.Kind }), ct));
        return await GetAsync(actor, teamSlug, integration.Id, ct);
    }

    public async Task<SlackIntegrationSummary> UpdateAsync(Actor actor, string teamSlug, int id, SlackIntegrationInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var integration = await db.SlackIntegrations.FirstOrDefaultAsync(s => s.TeamId == access.TeamId && s.Id == id, ct)
            ?? throw new NotFoundException($"Slack integration {id} not found.");
        if (!string.IsNullOrWhiteSpace(input.WebhookUrl) && !string.IsNullOrWhiteSpace(input.BotToken))
        {
            throw new InputException("webhookUrl", "Give either a Slack incoming-webhook URL or a bot token (xoxb-…), not both.");
        }

        await ApplyAsync(db, access.TeamId, integration, input, actor, ct);
        db.Record(clock, actor, access.TeamId, AuditActions.SlackUpdated, AuditTarget.Of(AuditTargets.Slack, integration.Id, integration.Name), AuditLog.Changes(db.Entry(integration),
            [nameof(SlackIntegration.Name), nameof(SlackIntegration.Channel), nameof(SlackIntegration.Kind)], [nameof(SlackIntegration.ProtectedCredential)]));
        await SaveAsync(integration.Name, () => db.SaveChangesAsync(ct));
        return await GetAsync(actor, teamSlug, integration.Id, ct);
    }

    /// <summary>Automations that post through it show as broken; runs already made fail with the reason.</summary>
    public async Task DeleteAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var integration = db.SlackIntegrations.Where(s => s.TeamId == access.TeamId && s.Id == id);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var name = await integration.Select(s => s.Name).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Slack integration {id} not found.");
        // Deleted by someone else meanwhile: not found, and nothing recorded.
        if (await integration.ExecuteDeleteAsync(ct) == 0)
        {
            throw new NotFoundException($"Slack integration {id} not found.");
        }

        db.Record(clock, actor, access.TeamId, AuditActions.SlackDeleted, AuditTarget.Of(AuditTargets.Slack, id, name));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The Test button: posts a short message to the channel and says what Slack answered. Shares the webhook tests' per-user budget.</summary>
    public async Task<SlackTestResult> TestAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var integration = await db.SlackIntegrations.AsNoTracking().FirstOrDefaultAsync(s => s.TeamId == access.TeamId && s.Id == id, ct)
            ?? throw new NotFoundException($"Slack integration {id} not found.");
        testLimiter.Take(actor);
        db.Record(clock, actor, access.TeamId, AuditActions.SlackTested, AuditTarget.Of(AuditTargets.Slack, integration.Id, integration.Name));
        await db.SaveChangesAsync(ct);
        var message = new SlackMessage("Test from Automations", $"The Slack integration *{integration.Name}* of team *{access.Slug}* works: automations can post here.");
        var result = await SendAsync(integration, message, ct);
        return new SlackTestResult(result.Ok, result.Delivery.StatusCode, result.Delivery.ResponseBody, result.Error, (long)result.Delivery.Duration.TotalMilliseconds);
    }

    /// <summary>Posts through an integration, with its credential decrypted only for the request.</summary>
    internal Task<SlackSendResult> SendAsync(SlackIntegration integration, SlackMessage message, CancellationToken ct) =>
        client.SendAsync(integration.Kind, integration.Channel, secrets.Unprotect(integration.ProtectedCredential), message, ct);

    private async Task ApplyAsync(AppDbContext db, int teamId, SlackIntegration integration, SlackIntegrationInput input, Actor actor, CancellationToken ct)
    {
        var name = TextRules.Require(input.Name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new InputException("name", $"Integration name is required (at most {MaxNameLength} characters).");
        }

        var channel = TextRules.Require(input.Channel, "channel", multiline: false)?.Trim() ?? "";
        if (channel.Length is 0 or > MaxChannelLength || channel.Any(char.IsWhiteSpace))
        {
            throw new InputException("channel", $"Enter the channel: its ID (C0123ABCD) or #name, without spaces, at most {MaxChannelLength} characters.");
        }

        if (!string.IsNullOrWhiteSpace(input.WebhookUrl))
        {
            var url = (await urlGuard.CheckEnteredAsync(input.WebhookUrl.Trim(), "webhookUrl", MaxCredentialLength, ct)).AbsoluteUri;

            (integration.Kind, integration.ProtectedCredential, integration.CredentialHint) = (SlackDeliveryKinds.IncomingWebhook, secrets.Protect(url), SlackClient.Hint(url));
        }
        else if (!string.IsNullOrWhiteSpace(input.BotToken))
        {
            var token = input.BotToken.Trim();
            if (token.Length > MaxCredentialLength || !token.StartsWith("xox", StringComparison.Ordinal) || token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw new InputException("botToken", "A Slack bot token starts with xoxb- (or xoxp- for a user token) and has no spaces.");
            }

            (integration.Kind, integration.ProtectedCredential, integration.CredentialHint) = (SlackDeliveryKinds.BotToken, secrets.Protect(token), SlackClient.Hint(token));
        }

        if (await db.SlackIntegrations.AnyAsync(s => s.TeamId == teamId && s.Name == name && s.Id != integration.Id, ct))
        {
            throw new ConflictException("name", $"A Slack integration named '{name}' already exists in this team.");
        }

        integration.Name = name;
        integration.Channel = channel;
        integration.UpdatedAt = clock.GetUtcNow();
        integration.UpdatedBy = actor.UserName;
    }

    private static async Task SaveAsync(string name, Func<Task> save)
    {
        try
        {
            await save();
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("name", $"A Slack integration named '{name}' already exists in this team.");
        }
    }
}
