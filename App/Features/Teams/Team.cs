using Automations.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Automations.Features.Teams;

public class Team
{
    public int Id { get; set; }

    /// <summary>URL-safe, unique; rendered as <c>${entity_name}</c>.</summary>
    public string Slug { get; set; } = "";

    public string Name { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public List<TeamMember> Members { get; set; } = [];
}

public enum TeamRole
{
    Member = 0,
    Admin = 1,
}

public class TeamMember
{
    public int TeamId { get; set; }

    public string UserId { get; set; } = "";

    public TeamRole Role { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    public Team Team { get; set; } = null!;

    public ApplicationUser User { get; set; } = null!;
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> builder)
    {
        builder.Property(t => t.Slug).HasMaxLength(TeamService.MaxSlugLength);
        builder.Property(t => t.Name).HasMaxLength(TeamService.MaxNameLength);
        builder.HasIndex(t => t.Slug).IsUnique();
    }
}

internal sealed class TeamMemberConfiguration : IEntityTypeConfiguration<TeamMember>
{
    public void Configure(EntityTypeBuilder<TeamMember> builder)
    {
        builder.HasKey(m => new { m.TeamId, m.UserId });
        builder.HasIndex(m => m.UserId);
        builder.HasOne(m => m.Team).WithMany(t => t.Members).HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);
    }
}
