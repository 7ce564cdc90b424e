using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Features.Webhooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Automations;

public static class ActionTypes
{
    public const string Webhook = "webhook";
    public const string Job = "job";
}

/// <summary>When an event of a project (or, team-scoped, of any project of the team) matches the trigger, carry out the action.</summary>
public class Automation
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    /// <summary>The project whose events it watches; null for a team-scoped automation, which watches every project of the team.</summary>
    public int? ProjectId { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    /// <summary><see cref="ArtifactEventTypes"/>.</summary>
    public string EventType { get; set; } = "";

    /// <summary>Required for LINK_ARTIFACT; optional for ADD_ARTIFACT_ALIAS.</summary>
    public int? CollectionId { get; set; }

    /// <summary>A regular expression matched against the whole alias (ADD_ARTIFACT_ALIAS only).</summary>
    public string? AliasPattern { get; set; }

    /// <summary><see cref="ActionTypes"/>.</summary>
    public string ActionType { get; set; } = ActionTypes.Webhook;

    /// <summary>Set to null by the database when the webhook is deleted: the automation then shows as broken.</summary>
    public int? WebhookId { get; set; }

    /// <summary>The webhook's name when it was chosen, so a broken automation can still say which one it was.</summary>
    public string? WebhookName { get; set; }

    /// <summary>Webhook action: the payload template. Job action: the configuration overrides template.</summary>
    public string? PayloadTemplate { get; set; }

    /// <summary>Job action: set to null by the database when the job is deleted (the automation then shows as broken).</summary>
    public int? JobId { get; set; }

    public string? JobName { get; set; }

    /// <summary>Job action: the version number to run; null runs the latest version at the time of the event.</summary>
    public int? JobVersion { get; set; }

    public int? QueueId { get; set; }

    public string? QueueName { get; set; }

    /// <summary>Job action: the project the launched run belongs to (any project of the team).</summary>
    public int? DestinationProjectId { get; set; }

    /// <summary>
    /// The settings of an action that keeps them to itself (Slack), as its own JSON document: an action type added
    /// later needs no column of its own.
    /// </summary>
    public string? Settings { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Deleting hides the automation and stops new runs; runs already started carry their own snapshot.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; }

    public string UpdatedBy { get; set; } = "";

    public Project? Project { get; set; }

    public ArtifactCollection? Collection { get; set; }

    public Webhook? Webhook { get; set; }

    public LaunchJob? Job { get; set; }

    public LaunchQueue? Queue { get; set; }

    public Project? DestinationProject { get; set; }

    /// <summary>Forgets the action's settings, before an action stores its own (the type may have changed).</summary>
    public void ClearAction()
    {
        (WebhookId, WebhookName, PayloadTemplate) = (null, null, null);
        (JobId, JobName, JobVersion, QueueId, QueueName, DestinationProjectId) = (null, null, null, null, null, null);
        Settings = null;
    }

    public bool IsTeamScoped => ProjectId is null;
}

internal sealed class AutomationConfiguration : IEntityTypeConfiguration<Automation>
{
    public void Configure(EntityTypeBuilder<Automation> builder)
    {
        builder.Property(a => a.Name).HasMaxLength(AutomationService.MaxNameLength);
        builder.Property(a => a.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(a => a.EventType).HasMaxLength(32);
        builder.Property(a => a.AliasPattern).HasMaxLength(AutomationService.MaxPatternLength);
        builder.Property(a => a.ActionType).HasMaxLength(16);
        builder.Property(a => a.WebhookName).HasMaxLength(WebhookService.MaxNameLength);
        builder.Property(a => a.CreatedBy).HasMaxLength(256);
        builder.Property(a => a.UpdatedBy).HasMaxLength(256);
        // Matching reads only the live, enabled automations of one project and event type: this index keeps that
        // cost independent of how many automations other projects hold, and of how many are disabled.
        // Its columns are all the match reads before loading the winners (Enabled and DeletedAt too, though the filter
        // implies them): SQLite answers from the index alone.
        builder.HasIndex(a => new { a.ProjectId, a.EventType, a.CollectionId, a.AliasPattern, a.Enabled, a.DeletedAt }).HasFilter("\"DeletedAt\" IS NULL AND \"Enabled\"");
        builder.HasIndex(a => new { a.ProjectId, a.Name }).IsUnique().HasFilter("\"DeletedAt\" IS NULL");
        // Team-scoped automations: matched by team and event type (as few as a team keeps, whatever its number of
        // projects), and named uniquely within the team.
        builder.HasIndex(a => new { a.TeamId, a.EventType, a.AliasPattern }).HasFilter("\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL AND \"Enabled\"");
        builder.HasIndex(a => new { a.TeamId, a.Name }).IsUnique().HasFilter("\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL");
        // The team's automations page: every scope, by name.
        builder.HasIndex(a => new { a.TeamId, a.Name, a.Id }).HasFilter("\"DeletedAt\" IS NULL");
        builder.HasOne<Teams.Team>().WithMany().HasForeignKey(a => a.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(a => a.Project).WithMany().HasForeignKey(a => a.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(a => a.Collection).WithMany().HasForeignKey(a => a.CollectionId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne(a => a.Webhook).WithMany().HasForeignKey(a => a.WebhookId).OnDelete(DeleteBehavior.SetNull);
        builder.Property(a => a.JobName).HasMaxLength(LaunchRules.MaxNameLength);
        builder.Property(a => a.QueueName).HasMaxLength(LaunchRules.MaxNameLength);
        builder.HasOne(a => a.Job).WithMany().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne(a => a.Queue).WithMany().HasForeignKey(a => a.QueueId).OnDelete(DeleteBehavior.SetNull);
        builder.HasOne(a => a.DestinationProject).WithMany().HasForeignKey(a => a.DestinationProjectId).OnDelete(DeleteBehavior.SetNull);
    }
}
