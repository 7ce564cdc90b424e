using Automations.Features.Artifacts;
using Automations.Features.Teams;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Launch;

/// <summary>A named, versioned run template of a team. Its versions are added, never edited.</summary>
public class LaunchJob
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public Team Team { get; set; } = null!;

    public List<LaunchJobVersion> Versions { get; set; } = [];
}

/// <summary>What an agent runs: a program with arguments, a working directory, environment, default configuration.</summary>
public class LaunchJobVersion
{
    public int Id { get; set; }

    public int JobId { get; set; }

    /// <summary>0, 1, 2...: shown as v0, v1, v2 like artifact versions.</summary>
    public int Number { get; set; }

    public string Program { get; set; } = "";

    /// <summary>A JSON array of strings, passed to the process one by one (no shell parsing).</summary>
    public string ArgumentsJson { get; set; } = "[]";

    public string? WorkingDirectory { get; set; }

    /// <summary>A JSON object of name → value; a value may reference team secrets as ${NAME}, resolved only when an agent claims a run.</summary>
    public string EnvironmentJson { get; set; } = "{}";

    /// <summary>A JSON object: the hyperparameters an automation's overrides are merged into.</summary>
    public string DefaultConfigJson { get; set; } = "{}";

    public string Notes { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public LaunchJob Job { get; set; } = null!;
}

public static class ResourceTypes
{
    /// <summary>The agent runs the command as a local process on its own machine.</summary>
    public const string LocalProcess = "local-process";

    public static readonly IReadOnlyList<string> All = [LocalProcess];
}

/// <summary>A named queue agents poll. The resource type says where its runs execute.</summary>
public class LaunchQueue
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public string ResourceType { get; set; } = ResourceTypes.LocalProcess;

    /// <summary>A JSON object of resource-specific settings (e.g. a Kubernetes namespace later); local-process has none.</summary>
    public string SettingsJson { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public Team Team { get; set; } = null!;
}

/// <summary>One execution of a job version on a queue, from queued to finished.</summary>
public class LaunchRun
{
    /// <summary>The one rule for a run that is not over: queued, claimed or running. Deleting its job or queue waits for it.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<LaunchRun, bool>> IsActive =
        r => r.Status == LaunchRunStatus.Queued || r.Status == LaunchRunStatus.Claimed || r.Status == LaunchRunStatus.Running;

    /// <summary>An agent holds the run: claimed or running.</summary>
    public static readonly System.Linq.Expressions.Expression<Func<LaunchRun, bool>> IsHeld =
        r => r.Status == LaunchRunStatus.Claimed || r.Status == LaunchRunStatus.Running;

    /// <summary><see cref="IsActive"/> for a status in memory.</summary>
    public static bool Active(LaunchRunStatus status) => status is LaunchRunStatus.Queued or LaunchRunStatus.Claimed or LaunchRunStatus.Running;

    public long Id { get; set; }

    public int TeamId { get; set; }

    public int QueueId { get; set; }

    public int JobVersionId { get; set; }

    /// <summary>The destination project: where the run is expected to log its results.</summary>
    public int ProjectId { get; set; }

    /// <summary>The effective configuration: the version's defaults merged with the overrides, rendered.</summary>
    public string ConfigJson { get; set; } = "{}";

    public int? AutomationId { get; set; }

    /// <summary>The dispatch run that created this launch run (a redelivery creates another).</summary>
    public long? AutomationRunId { get; set; }

    public long? EventId { get; set; }

    public LaunchRunStatus Status { get; set; }

    public int? AgentId { get; set; }

    public int? ExitCode { get; set; }

    public string? Error { get; set; }

    /// <summary>The last <see cref="LaunchRules.MaxOutputChars"/> characters of the process's output, secrets redacted.</summary>
    public string OutputTail { get; set; } = "";

    public bool CancelRequested { get; set; }

    /// <summary>How many times a lost agent's claim was given back to the queue.</summary>
    public int Requeues { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string CreatedBy { get; set; } = "";

    public DateTimeOffset? ClaimedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public LaunchQueue Queue { get; set; } = null!;

    public LaunchJobVersion JobVersion { get; set; } = null!;

    public Project Project { get; set; } = null!;

    public LaunchAgent? Agent { get; set; }
}

/// <summary>A process polling one queue. Online while it heartbeats.</summary>
public class LaunchAgent
{
    public int Id { get; set; }

    public int TeamId { get; set; }

    public int QueueId { get; set; }

    public string Name { get; set; } = "";

    public string Version { get; set; } = "";

    /// <summary>The user whose API key registered the agent.</summary>
    public string RegisteredBy { get; set; } = "";

    public DateTimeOffset RegisteredAt { get; set; }

    public DateTimeOffset LastHeartbeatAt { get; set; }

    /// <summary>Set when the agent says it is stopping.</summary>
    public DateTimeOffset? StoppedAt { get; set; }

    public LaunchQueue Queue { get; set; } = null!;
}

internal sealed class LaunchConfigurations :
    IEntityTypeConfiguration<LaunchJob>,
    IEntityTypeConfiguration<LaunchJobVersion>,
    IEntityTypeConfiguration<LaunchQueue>,
    IEntityTypeConfiguration<LaunchRun>,
    IEntityTypeConfiguration<LaunchAgent>
{
    public void Configure(EntityTypeBuilder<LaunchJob> builder)
    {
        builder.Property(j => j.Name).HasMaxLength(LaunchRules.MaxNameLength);
        builder.Property(j => j.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(j => j.CreatedBy).HasMaxLength(256);
        builder.HasIndex(j => new { j.TeamId, j.Name }).IsUnique();
        builder.HasOne(j => j.Team).WithMany().HasForeignKey(j => j.TeamId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LaunchJobVersion> builder)
    {
        builder.Property(v => v.Program).HasMaxLength(LaunchRules.MaxProgramLength);
        builder.Property(v => v.WorkingDirectory).HasMaxLength(LaunchRules.MaxProgramLength);
        builder.Property(v => v.Notes).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(v => v.CreatedBy).HasMaxLength(256);
        builder.HasIndex(v => new { v.JobId, v.Number }).IsUnique();
        builder.HasOne(v => v.Job).WithMany(j => j.Versions).HasForeignKey(v => v.JobId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LaunchQueue> builder)
    {
        builder.Property(q => q.Name).HasMaxLength(LaunchRules.MaxNameLength);
        builder.Property(q => q.Description).HasMaxLength(ArtifactRules.MaxDescriptionLength);
        builder.Property(q => q.ResourceType).HasMaxLength(32);
        builder.Property(q => q.CreatedBy).HasMaxLength(256);
        builder.HasIndex(q => new { q.TeamId, q.Name }).IsUnique();
        builder.HasOne(q => q.Team).WithMany().HasForeignKey(q => q.TeamId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<LaunchRun> builder)
    {
        builder.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Error).HasMaxLength(2000);
        builder.Property(r => r.CreatedBy).HasMaxLength(256);
        // The claim's question: the oldest queued run of this queue.
        builder.HasIndex(r => new { r.QueueId, r.Status, r.Id });
        builder.HasIndex(r => r.AutomationRunId);
        builder.HasIndex(r => new { r.AgentId, r.Status });
        builder.HasIndex(r => new { r.TeamId, r.Id });
        builder.HasIndex(r => new { r.TeamId, r.Status, r.Id });
        // Retention: the oldest ended runs first, and whether an event is still some launch run's.
        builder.HasIndex(r => r.EndedAt);
        builder.HasIndex(r => r.EventId);
        builder.HasOne(r => r.Queue).WithMany().HasForeignKey(r => r.QueueId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(r => r.JobVersion).WithMany().HasForeignKey(r => r.JobVersionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(r => r.Project).WithMany().HasForeignKey(r => r.ProjectId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(r => r.Agent).WithMany().HasForeignKey(r => r.AgentId).OnDelete(DeleteBehavior.SetNull);
    }

    public void Configure(EntityTypeBuilder<LaunchAgent> builder)
    {
        builder.Property(a => a.Name).HasMaxLength(LaunchRules.MaxNameLength);
        builder.Property(a => a.Version).HasMaxLength(64);
        builder.Property(a => a.RegisteredBy).HasMaxLength(256);
        builder.HasIndex(a => new { a.TeamId, a.LastHeartbeatAt });
        builder.HasOne(a => a.Queue).WithMany().HasForeignKey(a => a.QueueId).OnDelete(DeleteBehavior.Cascade);
    }
}
