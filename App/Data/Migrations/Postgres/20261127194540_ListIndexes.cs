using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Automations_ProjectId_EventType",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_TeamId_EventType",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_WebhookId_Status",
                table: "AutomationRuns");

            migrationBuilder.CreateIndex(
                name: "IX_LaunchRuns_TeamId_Status_Id",
                table: "LaunchRuns",
                columns: new[] { "TeamId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern",
                table: "Automations",
                columns: new[] { "ProjectId", "EventType", "CollectionId", "AliasPattern" },
                filter: "\"DeletedAt\" IS NULL AND \"Enabled\"");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_TeamId_EventType_AliasPattern",
                table: "Automations",
                columns: new[] { "TeamId", "EventType", "AliasPattern" },
                filter: "\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL AND \"Enabled\"");

            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_AutomationId_Status_Id",
                table: "AutomationRuns",
                columns: new[] { "AutomationId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_ProjectId_Status_Id",
                table: "AutomationRuns",
                columns: new[] { "ProjectId", "Status", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_WebhookId_Status_Id",
                table: "AutomationRuns",
                columns: new[] { "WebhookId", "Status", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_LaunchRuns_TeamId_Status_Id",
                table: "LaunchRuns");

            migrationBuilder.DropIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_TeamId_EventType_AliasPattern",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_AutomationId_Status_Id",
                table: "AutomationRuns");

            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_ProjectId_Status_Id",
                table: "AutomationRuns");

            migrationBuilder.DropIndex(
                name: "IX_AutomationRuns_WebhookId_Status_Id",
                table: "AutomationRuns");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_ProjectId_EventType",
                table: "Automations",
                columns: new[] { "ProjectId", "EventType" },
                filter: "\"DeletedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_TeamId_EventType",
                table: "Automations",
                columns: new[] { "TeamId", "EventType" },
                filter: "\"DeletedAt\" IS NULL AND \"ProjectId\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_AutomationRuns_WebhookId_Status",
                table: "AutomationRuns",
                columns: new[] { "WebhookId", "Status" });
        }
    }
}
