using System.Text;
using System.Text.Json;
using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Artifacts;
using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Automations.Features.Launch.LaunchRules;

namespace Automations.Features.Launch;

/// <summary>Jobs: named, versioned run templates. Admins create jobs and add versions (never edited); members see them.</summary>
public sealed class JobService(
    IDbContextFactory<AppDbContext> dbFactory,
    TimeProvider clock)
{
    public async Task<IReadOnlyList<JobSummary>> ListJobsAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await JobSummaries(db, access.TeamId, null).ToListAsync(ct);
    }

    public async Task<JobDetail> GetJobAsync(Actor actor, string team, string job, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        var summary = await JobSummaries(db, access.TeamId, job).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var versions = await db.LaunchJobVersions.Where(v => v.JobId == summary.Id).OrderByDescending(v => v.Number).ToListAsync(ct);
        return new JobDetail(summary, versions.Select(View).ToList());
    }

    public async Task<JobDetail> CreateJobAsync(Actor actor, string team, JobInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var name = ArtifactRules.Name(input.Name, "name", "Job");
        var description = ArtifactRules.Description(input.Description);
        if (await db.LaunchJobs.AnyAsync(j => j.TeamId == access.TeamId && j.Name == name, ct))
        {
            throw new ConflictException("name", $"A job named '{name}' already exists in this team.");
        }

        var now = clock.GetUtcNow();
        var version = await NewVersionAsync(db, access.TeamId, input.Version, actor, now, "version.", ct);
        version.Number = 0;
        db.LaunchJobs.Add(new LaunchJob { TeamId = access.TeamId, Name = name, Description = description, CreatedAt = now, CreatedBy = actor.UserName, Versions = [version] });
        db.Record(clock, actor, access.TeamId, AuditActions.JobCreated, AuditTarget.Of(AuditTargets.Job, name, name), VersionDetails(version));
        await SaveUniqueAsync(db, "name", $"A job named '{name}' already exists in this team.", ct);
        return await GetJobAsync(actor, team, name, ct);
    }

    /// <summary>Versions are added, never edited: a run always says exactly what it ran.</summary>
    public async Task<JobVersionView> AddVersionAsync(Actor actor, string team, string job, JobVersionInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var jobId = await db.LaunchJobs.Where(j => j.TeamId == access.TeamId && j.Name == job).Select(j => (int?)j.Id).FirstOrDefaultAsync(ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var version = await NewVersionAsync(db, access.TeamId, input, actor, clock.GetUtcNow(), "", ct);
        version.JobId = jobId;
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.LockAsync($"launch-job:{jobId}", ct);
        version.Number = (await db.LaunchJobVersions.Where(v => v.JobId == jobId).MaxAsync(v => (int?)v.Number, ct) ?? -1) + 1;
        db.LaunchJobVersions.Add(version);
        db.Record(clock, actor, access.TeamId, AuditActions.JobVersionAdded, AuditTarget.Of(AuditTargets.Job, job, job), VersionDetails(version));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return View(version);
    }

    /// <summary>Refused while runs of the job are queued or running; automations using it show as broken.</summary>
    public async Task DeleteJobAsync(Actor actor, string team, string job, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        var row = await db.LaunchJobs.FirstOrDefaultAsync(j => j.TeamId == access.TeamId && j.Name == job, ct)
            ?? throw new NotFoundException($"Job '{job}' not found.");
        var active = await db.LaunchRuns.Where(LaunchRun.IsActive).CountAsync(r => r.JobVersion.JobId == row.Id, ct);
        if (active > 0)
        {
            throw new ConflictException("name", $"Job '{job}' has {active} queued or running run(s): cancel them or wait until they end.");
        }

        db.LaunchJobs.Remove(row);
        db.Record(clock, actor, access.TeamId, AuditActions.JobDeleted, AuditTarget.Of(AuditTargets.Job, row.Name, row.Name));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A version as the audit log records it: its number, program and the names of its environment variables, not their
    /// values nor the arguments, where someone may have typed a credential instead of a ${SECRET} reference.
    /// </summary>
    private static object VersionDetails(LaunchJobVersion version) => new
    {
        version = version.Number,
        program = version.Program,
        arguments = (JsonSerializer.Deserialize<List<string>>(version.ArgumentsJson) ?? []).Count,
        environment = (JsonSerializer.Deserialize<Dictionary<string, string>>(version.EnvironmentJson) ?? []).Keys.Order(StringComparer.Ordinal).ToList(),
    };

    private static IQueryable<JobSummary> JobSummaries(AppDbContext db, int teamId, string? name) =>
        db.LaunchJobs.Where(j => j.TeamId == teamId && (name == null || j.Name == name)).OrderBy(j => j.Name).Select(j => new JobSummary(
            j.Id, j.Name, j.Description,
            j.Versions.Max(v => (int?)v.Number) ?? 0,
            j.Versions.Count,
            db.Automations.Count(a => a.JobId == j.Id && a.DeletedAt == null),
            j.CreatedAt, j.CreatedBy));

    private static JobVersionView View(LaunchJobVersion v) => new(
        v.Number, v.Program, JsonSerializer.Deserialize<List<string>>(v.ArgumentsJson) ?? [], v.WorkingDirectory,
        JsonSerializer.Deserialize<Dictionary<string, string>>(v.EnvironmentJson) ?? [], ParseObject(v.DefaultConfigJson), v.Notes, v.CreatedAt, v.CreatedBy);

    private async Task<LaunchJobVersion> NewVersionAsync(AppDbContext db, int teamId, JobVersionInput? input, Actor actor, DateTimeOffset now, string prefix, CancellationToken ct)
    {
        if (input is null)
        {
            throw new InputException(prefix + "program", "A job needs its first version: the program to run.");
        }

        var program = (input.Program ?? "").Trim();
        if (program.Length is 0 or > MaxProgramLength || program.Contains('\0'))
        {
            throw new InputException(prefix + "program", $"Program is required (at most {MaxProgramLength} characters), e.g. python or /usr/bin/env.");
        }

        var arguments = input.Arguments ?? [];
        if (arguments.Count > MaxArguments || arguments.Any(a => a is null || a.Length > MaxValueLength || a.Contains('\0')))
        {
            throw new InputException(prefix + "arguments", $"At most {MaxArguments} arguments of at most {MaxValueLength} characters each.");
        }

        var workingDirectory = string.IsNullOrWhiteSpace(input.WorkingDirectory) ? null : input.WorkingDirectory.Trim();
        if (workingDirectory is { Length: > MaxProgramLength })
        {
            throw new InputException(prefix + "workingDirectory", $"Working directory must be at most {MaxProgramLength} characters.");
        }

        var environment = input.Environment ?? new Dictionary<string, string>();
        if (environment.Count > MaxEnvironmentVariables)
        {
            throw new InputException(prefix + "environment", $"At most {MaxEnvironmentVariables} environment variables.");
        }

        var secretNames = await SecretService.NamesAsync(db, teamId, ct);
        foreach (var (key, value) in environment)
        {
            var field = $"{prefix}environment.{key}";
            if (key is null || !SecretReferences.IsValidName(key))
            {
                throw new InputException(field, $"Environment variable name '{key}' is invalid: use letters, digits and '_', not starting with a digit.");
            }
            if (key.StartsWith(ReservedEnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                throw new InputException(field, $"Names starting with {ReservedEnvironmentPrefix} are set by the agent for every run.");
            }
            if (value is null || value.Length > MaxValueLength || value.Contains('\0'))
            {
                throw new InputException(field, $"The value of {key} must be at most {MaxValueLength} characters.");
            }
            if (MissingSecret(value, secretNames.Contains) is { } missing)
            {
                throw new InputException(field, $"{key} references ${{{missing}}}, which is not a secret of this team.");
            }
        }

        var defaults = TextRules.Decoded(() => (input.DefaultConfig ?? []).ToJsonString(Compact), prefix + "defaultConfig");
        if (Encoding.UTF8.GetByteCount(defaults) > MaxConfigBytes)
        {
            throw new InputException(prefix + "defaultConfig", $"The default configuration must be at most {MaxConfigBytes / 1024} KB.");
        }

        return new LaunchJobVersion
        {
            Program = program,
            ArgumentsJson = JsonSerializer.Serialize(arguments, Compact),
            WorkingDirectory = workingDirectory,
            EnvironmentJson = JsonSerializer.Serialize(environment, Compact),
            DefaultConfigJson = defaults,
            Notes = ArtifactRules.Description(input.Notes, prefix + "notes"),
            CreatedAt = now,
            CreatedBy = actor.UserName,
        };
    }
}
