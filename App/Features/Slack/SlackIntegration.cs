using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Slack;

/// <summary>How an integration reaches Slack.</summary>
public static class SlackDeliveryKinds
{
    /// <summary>An incoming-webhook URL (<c>https://hooks.slack.com/services/…</c>), bound by Slack to one channel.</summary>
    public const string IncomingWebhook = "incoming-webhook";

    /// <summary>A bot token (<c>xoxb-…</c>) used with <c>chat.postMessage</c> on the configured channel.</summary>
    public const string BotToken = "bot-token";
}

/// <summary>A Slack channel a team's automations may post to. The credential is a secret: encrypted like team secrets, never shown.</summary>
public class SlackIntegration
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>The channel: where a bot token posts (an ID such as C0123ABC or #name); for a webhook, which channel Slack bound it to.</summary>
    public string Channel { get; set; } = "";

    /// <summary><see cref="SlackDeliveryKinds"/>.</summary>
    public string Kind { get; set; } = SlackDeliveryKinds.IncomingWebhook;

    /// <summary>The webhook URL (its path is the secret) or the bot token, encrypted with the team secrets' key.</summary>
    public string ProtectedCredential { get; set; } = "";

    /// <summary>What may be shown of the credential: <c>https://hooks.slack.com/services/••••</c>, <c>xoxb-••••</c>.</summary>
    public string CredentialHint { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string UpdatedBy { get; set; } = "";

    public Team Team { get; set; } = null!;
}

internal sealed class SlackIntegrationConfiguration : IEntityTypeConfiguration<SlackIntegration>
{
    public void Configure(EntityTypeBuilder<SlackIntegration> builder)
    {
        builder.Property(s => s.Name).HasMaxLength(SlackService.MaxNameLength);
        builder.Property(s => s.Channel).HasMaxLength(SlackService.MaxChannelLength);
        builder.Property(s => s.Kind).HasMaxLength(32);
        builder.Property(s => s.CredentialHint).HasMaxLength(200);
        builder.Property(s => s.UpdatedBy).HasMaxLength(256);
        builder.HasIndex(s => new { s.TeamId, s.Name }).IsUnique();
        builder.HasOne(s => s.Team).WithMany().HasForeignKey(s => s.TeamId).OnDelete(DeleteBehavior.Cascade);
    }
}
