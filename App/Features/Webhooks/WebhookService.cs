using Automations.Infrastructure.Live;
using System.Text;
using System.Text.Json;
using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Infrastructure.Outbound;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Webhooks;

public sealed record WebhookSummary(int Id, string Name, string Url, string? SecretName, string? AccessTokenName, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public bool Disabled { get; init; }

    public string? DisabledReason { get; init; }

    public DateTimeOffset? DisabledAt { get; init; }
}

/// <summary>What an admin submits; secrets are chosen by name from the team's secrets.</summary>
public sealed record WebhookInput(string Name, string Url, string? SecretName, string? AccessTokenName);

public sealed class WebhookService(
    IDbContextFactory<AppDbContext> dbFactory,
    UrlGuard urlGuard,
    SecretService secrets,
    WebhookSender sender,
    WebhookTestLimiter testLimiter,
    TimeProvider clock,
    ChangeFeed changes)
{
    public const int MaxNameLength = 100;
    public const int MaxUrlLength = 2048;

    /// <summary>A test payload larger than this is refused before sending.</summary>
    public const int MaxPayloadBytes = 256 * 1024;

    public const string SamplePayload = """
        {
          "event_type": "LINK_ARTIFACT",
          "event_author": "jane",
          "artifact_version": "wandb-artifact://_id/QXJ0aWZhY3Q6MTIz",
          "artifact_version_string": "my-team/my-project/my-dataset:v3",
          "artifact_collection_name": "my-dataset",
          "project_name": "my-project",
          "entity_name": "my-team"
        }
        """;

    public async Task<IReadOnlyList<WebhookSummary>> ListAsync(Actor actor, string teamSlug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, teamSlug, ct);
        return await db.Webhooks.Where(w => w.TeamId == access.TeamId).OrderBy(w => w.Name)
            .Select(w => new WebhookSummary(w.Id, w.Name, w.Url, w.Secret!.Name, w.AccessToken!.Name, w.UpdatedAt, w.UpdatedBy)
            {
                Disabled = w.Disabled,
                DisabledReason = w.DisabledReason,
                DisabledAt = w.DisabledAt,
            })
            .ToListAsync(ct);
    }

    public async Task<WebhookSummary> GetAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default)
    {
        var all = await ListAsync(actor, teamSlug, ct);
        return all.FirstOrDefault(w => w.Id == id) ?? throw new NotFoundException($"Webhook {id} not found.");
    }

    public async Task<WebhookSummary> CreateAsync(Actor actor, string teamSlug, WebhookInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var now = clock.GetUtcNow();
        var webhook = new Webhook { TeamId = access.TeamId, CreatedAt = now };
        await ApplyAsync(db, access.TeamId, webhook, input, actor, ct);
        db.Webhooks.Add(webhook);
        await db.SaveThenRecordAsync(() => db.Record(clock, actor, access.TeamId, AuditActions.WebhookCreated,
            AuditTarget.Of(AuditTargets.Webhook, webhook.Id, webhook.Name), new { url = webhook.Url, secret = input.SecretName, accessToken = input.AccessTokenName }), ct);
        return await GetAsync(actor, teamSlug, webhook.Id, ct);
    }

    public async Task<WebhookSummary> UpdateAsync(Actor actor, string teamSlug, int id, WebhookInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.TeamId == access.TeamId && w.Id == id, ct)
            ?? throw new NotFoundException($"Webhook {id} not found.");
        await ApplyAsync(db, access.TeamId, webhook, input, actor, ct);
        db.Record(clock, actor, access.TeamId, AuditActions.WebhookUpdated, AuditTarget.Of(AuditTargets.Webhook, webhook.Id, webhook.Name), AuditLog.Changes(db.Entry(webhook),
            [nameof(Webhook.Name), nameof(Webhook.Url), nameof(Webhook.SecretId), nameof(Webhook.AccessTokenSecretId)]));
        await db.SaveChangesAsync(ct);
        return await GetAsync(actor, teamSlug, webhook.Id, ct);
    }

    public async Task DeleteAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var webhook = db.Webhooks.Where(w => w.TeamId == access.TeamId && w.Id == id);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var name = await webhook.Select(w => w.Name).FirstOrDefaultAsync(ct) ?? throw new NotFoundException($"Webhook {id} not found.");
        // Deleted by someone else meanwhile: not found, and nothing recorded.
        if (await webhook.ExecuteDeleteAsync(ct) == 0)
        {
            throw new NotFoundException($"Webhook {id} not found.");
        }

        db.Record(clock, actor, access.TeamId, AuditActions.WebhookDeleted, AuditTarget.Of(AuditTargets.Webhook, id, name));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        changes.Publish(new Change(ChangeKind.Webhook, access.TeamId, id, WebhookId: id));
    }

    /// <summary>
    /// Turns deliveries back on after the webhook was disabled (410 Gone, or too many failures in a row).
    /// Runs that waited become due at once; the dispatch sweeper hands them to workers.
    /// </summary>
    public async Task EnableAsync(Actor actor, string teamSlug, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var webhook = await db.Webhooks.FirstOrDefaultAsync(w => w.TeamId == access.TeamId && w.Id == id, ct)
            ?? throw new NotFoundException($"Webhook {id} not found.");
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        (webhook.Disabled, webhook.DisabledReason, webhook.DisabledAt) = (false, null, null);
        (webhook.ConsecutiveFailures, webhook.FailingSince, webhook.FailedRunsSinceFailing) = (0, null, 0);
        webhook.UpdatedAt = now;
        webhook.UpdatedBy = actor.UserName;
        db.Record(clock, actor, access.TeamId, AuditActions.WebhookEnabled, AuditTarget.Of(AuditTargets.Webhook, webhook.Id, webhook.Name));
        await db.SaveChangesAsync(ct);
        await db.AutomationRuns
            .Where(r => r.WebhookId == id && (r.Status == Dispatch.RunStatus.Pending || r.Status == Dispatch.RunStatus.Retrying) && r.NextAttemptAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.NextAttemptAt, now), ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The Test button: POSTs <paramref name="payload"/> exactly as typed, with the headers a real delivery
    /// carries, and returns what the endpoint answered.
    /// </summary>
    public async Task<DeliveryResult> TestAsync(Actor actor, string teamSlug, int id, string payload, CancellationToken ct = default)
    {
        var body = ValidatePayload(payload);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var webhook = await db.Webhooks.Include(w => w.Secret).Include(w => w.AccessToken)
            .FirstOrDefaultAsync(w => w.TeamId == access.TeamId && w.Id == id, ct)
            ?? throw new NotFoundException($"Webhook {id} not found.");
        testLimiter.Take(actor);
        // Recorded before it is sent: a test carries the webhook's secrets to its endpoint, whatever it answers.
        db.Record(clock, actor, access.TeamId, AuditActions.WebhookTested, AuditTarget.Of(AuditTargets.Webhook, webhook.Id, webhook.Name));
        await db.SaveChangesAsync(ct);
        var outbound = new OutboundWebhook(
            webhook.Url,
            body,
            webhook.Secret is null ? null : secrets.Unprotect(webhook.Secret.ProtectedValue),
            webhook.AccessToken is null ? null : secrets.Unprotect(webhook.AccessToken.ProtectedValue));
        return await sender.SendAsync(outbound, ct);
    }

    /// <summary>
    /// The Test button of the create and edit dialogs: sends <paramref name="payload"/> to the webhook as entered, not yet
    /// saved (its URL checked by the same rules, its secrets chosen by name), with the headers a delivery carries.
    /// </summary>
    public async Task<DeliveryResult> TestDraftAsync(Actor actor, string teamSlug, WebhookInput input, string payload, CancellationToken ct = default)
    {
        var body = ValidatePayload(payload);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var url = await urlGuard.CheckEnteredAsync(input.Url, "url", MaxUrlLength, ct);

        async Task<string?> SecretAsync(string? name, string field) =>
            await SecretIdAsync(db, access.TeamId, name, field, ct) is { } id
                ? secrets.Unprotect(await db.TeamSecrets.Where(s => s.Id == id).Select(s => s.ProtectedValue).SingleAsync(ct))
                : null;

        var signing = await SecretAsync(input.SecretName, "secret");
        var token = await SecretAsync(input.AccessTokenName, "accessToken");
        testLimiter.Take(actor);
        // A draft's test sends the chosen secrets to a URL nobody saved: the log says where, and which secrets.
        db.Record(clock, actor, access.TeamId, AuditActions.WebhookTested, AuditTarget.Of(AuditTargets.Webhook, null, input.Name),
            new { draft = true, url = url.AbsoluteUri, secret = signing is null ? null : input.SecretName, accessToken = token is null ? null : input.AccessTokenName });
        await db.SaveChangesAsync(ct);
        return await sender.SendAsync(new OutboundWebhook(url.AbsoluteUri, body, signing, token), ct);
    }

    /// <summary>Refuses invalid JSON before anything is sent, pointing at the line and column.</summary>
    public static byte[] ValidatePayload(string payload)
    {
        if (string.IsNullOrWhiteSpace(payload))
        {
            throw new InputException("payload", "The payload is empty; enter a JSON document.");
        }

        var body = Encoding.UTF8.GetBytes(payload);
        if (body.Length > MaxPayloadBytes)
        {
            throw new InputException("payload", $"The payload is larger than {MaxPayloadBytes / 1024} KB.");
        }

        try
        {
            using var _ = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new InputException("payload", JsonErrors.Describe(ex));
        }

        return body;
    }

    private async Task ApplyAsync(AppDbContext db, int teamId, Webhook webhook, WebhookInput input, Actor actor, CancellationToken ct)
    {
        var name = TextRules.Require(input.Name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length == 0)
        {
            throw new InputException("name", "Webhook name is required.");
        }
        if (name.Length > MaxNameLength)
        {
            throw new InputException("name", $"Webhook name must be at most {MaxNameLength} characters.");
        }
        var url = await urlGuard.CheckEnteredAsync(input.Url, "url", MaxUrlLength, ct);

        if (await db.Webhooks.AnyAsync(w => w.TeamId == teamId && w.Name == name && w.Id != webhook.Id, ct))
        {
            throw new ConflictException("name", $"A webhook named '{name}' already exists in this team.");
        }

        webhook.Name = name;
        webhook.Url = url.AbsoluteUri;
        webhook.SecretId = await SecretIdAsync(db, teamId, input.SecretName, "secret", ct);
        webhook.AccessTokenSecretId = await SecretIdAsync(db, teamId, input.AccessTokenName, "accessToken", ct);
        webhook.UpdatedAt = clock.GetUtcNow();
        webhook.UpdatedBy = actor.UserName;
    }

    private static async Task<int?> SecretIdAsync(AppDbContext db, int teamId, string? name, string field, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var id = await db.TeamSecrets.Where(s => s.TeamId == teamId && s.Name == name.Trim()).Select(s => (int?)s.Id).FirstOrDefaultAsync(ct);
        return id ?? throw new InputException(field, $"The team has no secret named '{name.Trim()}'.");
    }
}
