using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class Launch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "DestinationProjectId",
                table: "Automations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobId",
                table: "Automations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JobName",
                table: "Automations",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobVersion",
                table: "Automations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "QueueId",
                table: "Automations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "QueueName",
                table: "Automations",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "DestinationProjectId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JobName",
                table: "AutomationRuns",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "JobVersion",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "QueueId",
                table: "AutomationRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "QueueName",
                table: "AutomationRuns",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LaunchJobs",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LaunchJobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LaunchJobs_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LaunchQueues",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    ResourceType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SettingsJson = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LaunchQueues", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LaunchQueues_Teams_TeamId",
                        column: x => x.TeamId,
                        principalTable: "Teams",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LaunchJobVersions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    JobId = table.Column<int>(type: "INTEGER", nullable: false),
                    Number = table.Column<int>(type: "INTEGER", nullable: false),
                    Program = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    ArgumentsJson = table.Column<string>(type: "TEXT", nullable: false),
                    WorkingDirectory = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    EnvironmentJson = table.Column<string>(type: "TEXT", nullable: false),
                    DefaultConfigJson = table.Column<string>(type: "TEXT", nullable: false),
                    Notes = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LaunchJobVersions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LaunchJobVersions_LaunchJobs_JobId",
                        column: x => x.JobId,
                        principalTable: "LaunchJobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LaunchAgents",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: false),
                    QueueId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Version = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    RegisteredBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    RegisteredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastHeartbeatAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StoppedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LaunchAgents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LaunchAgents_LaunchQueues_QueueId",
                        column: x => x.QueueId,
                        principalTable: "LaunchQueues",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "LaunchRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TeamId = table.Column<int>(type: "INTEGER", nullable: false),
                    QueueId = table.Column<int>(type: "INTEGER", nullable: false),
                    JobVersionId = table.Column<int>(type: "INTEGER", nullable: false),
                    ProjectId = table.Column<int>(type: "INTEGER", nullable: false),
                    ConfigJson = table.Column<string>(type: "TEXT", nullable: false),
                    AutomationId = table.Column<int>(type: "INTEGER", nullable: true),
                    AutomationRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    EventId = table.Column<long>(type: "INTEGER", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    AgentId = table.Column<int>(type: "INTEGER", nullable: true),
                    ExitCode = table.Column<int>(type: "INTEGER", nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    OutputTail = table.Column<string>(type: "TEXT", nullable: false),
                    CancelRequested = table.Column<bool>(type: "INTEGER", nullable: false),
                    Requeues = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    ClaimedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LaunchRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_LaunchRuns_LaunchAgents_AgentId",
                        column: x => x.AgentId,
                        principalTable: "LaunchAgents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_LaunchRuns_LaunchJobVersions_JobVersionId",
                        column: x => x.JobVersionId,
                        principalTable: "LaunchJobVersions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LaunchRuns_LaunchQueues_QueueId",
                        column: x => x.QueueId,
                        principalTable: "LaunchQueues",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_LaunchRuns_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Automations_DestinationProjectId",
                table: "Automations",
                column: "DestinationProjectId");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_JobId",
                table: "Automations",
                column: "JobId");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_QueueId",
                table: "Automations",
                column: "QueueId");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchAgents_QueueId",
                table: "LaunchAgents",
                column: "QueueId");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchAgents_TeamId_LastHeartbeatAt",
                table: "LaunchAgents",
                columns: new[] { "TeamId", "LastHeartbeatAt" });

            migrationBuilder.CreateIndex(
                name: "IX_LaunchJobs_TeamId_Name",
                table: "LaunchJobs",
                columns: new[] { "TeamId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LaunchJobVersions_JobId_Number",
                table: "LaunchJobVersions",
                columns: new[] { "JobId", "Number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LaunchQueues_TeamId_Name",
                table: "LaunchQueues",
                columns: new[] { "TeamId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_AgentId_Status",
                table: "LaunchRuns",
                columns: new[] { "AgentId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_AutomationRunId",
                table: "LaunchRuns",
                column: "AutomationRunId");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_JobVersionId",
                table: "LaunchRuns",
                column: "JobVersionId");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_ProjectId",
                table: "LaunchRuns",
                column: "ProjectId");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_QueueId_Status_Id",
                table: "LaunchRuns",
                columns: new[] { "QueueId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_TeamId_Id",
                table: "LaunchRuns",
                columns: new[] { "TeamId", "Id" });

            migrationBuilder.AddForeignKey(
                name: "FK_Automations_LaunchJobs_JobId",
                table: "Automations",
                column: "JobId",
                principalTable: "LaunchJobs",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "FK_Automations_LaunchQueues_QueueId",
                table: "Automations",
                column: "QueueId",
                principalTable: "LaunchQueues",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);

            migrationBuilder.AddForeignKey(
                name: "FK_Automations_Projects_DestinationProjectId",
                table: "Automations",
                column: "DestinationProjectId",
                principalTable: "Projects",
                principalColumn: "Id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Automations_LaunchJobs_JobId",
                table: "Automations");

            migrationBuilder.DropForeignKey(
                name: "FK_Automations_LaunchQueues_QueueId",
                table: "Automations");

            migrationBuilder.DropForeignKey(
                name: "FK_Automations_Projects_DestinationProjectId",
                table: "Automations");

            migrationBuilder.DropTable(
                name: "LaunchRuns");

            migrationBuilder.DropTable(
                name: "LaunchAgents");

            migrationBuilder.DropTable(
                name: "LaunchJobVersions");

            migrationBuilder.DropTable(
                name: "LaunchQueues");

            migrationBuilder.DropTable(
                name: "LaunchJobs");

            migrationBuilder.DropIndex(
                name: "IX_Automations_DestinationProjectId",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_JobId",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_QueueId",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "DestinationProjectId",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "JobName",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "JobVersion",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "QueueId",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "QueueName",
                table: "Automations");

            migrationBuilder.DropColumn(
                name: "DestinationProjectId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobName",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "JobVersion",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "QueueId",
                table: "AutomationRuns");

            migrationBuilder.DropColumn(
                name: "QueueName",
                table: "AutomationRuns");
        }
    }
}
