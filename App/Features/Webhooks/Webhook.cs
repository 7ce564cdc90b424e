using Automations.Features.Secrets;
using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Webhooks;

public class Webhook
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary>Signs the body: <c>X-Wandb-Signature</c>.</summary>
    public int? SecretId { get; set; }

    /// <summary>Sent as <c>Authorization: Bearer</c>.</summary>
    public int? AccessTokenSecretId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string UpdatedBy { get; set; } = "";

    /// <summary>Disabled webhooks receive nothing; their pending runs wait until an admin re-enables them.</summary>
    public bool Disabled { get; set; }

    public string? DisabledReason { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>Failed delivery attempts since the last success.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>When the first attempt failed after the last success; null while the endpoint is healthy.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    /// <summary>Runs that ran out of retries (or failed for good) since <see cref="FailingSince"/>.</summary>
    public int FailedRunsSinceFailing { get; set; }

    public Team Team { get; set; } = null!;

    public TeamSecret? Secret { get; set; }

    public TeamSecret? AccessToken { get; set; }
}

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> builder)
    {
        builder.Property(w => w.Name).HasMaxLength(WebhookService.MaxNameLength);
        builder.Property(w => w.Url).HasMaxLength(WebhookService.MaxUrlLength);
        builder.Property(w => w.UpdatedBy).HasMaxLength(256);
        builder.Property(w => w.DisabledReason).HasMaxLength(500);
        builder.HasIndex(w => new { w.TeamId, w.Name }).IsUnique();
        builder.HasOne(w => w.Team).WithMany().HasForeignKey(w => w.TeamId).OnDelete(DeleteBehavior.Cascade);
        // A secret in use cannot be deleted: the service says which webhooks use it, the database backs it up.
        builder.HasOne(w => w.Secret).WithMany().HasForeignKey(w => w.SecretId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(w => w.AccessToken).WithMany().HasForeignKey(w => w.AccessTokenSecretId).OnDelete(DeleteBehavior.Restrict);
    }
}
