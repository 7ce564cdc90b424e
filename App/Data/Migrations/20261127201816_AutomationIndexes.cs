using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Automations.Data.Migrations
{
    /// <inheritdoc />
    public partial class AutomationIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern",
                table: "Automations");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern_Enabled_DeletedAt",
                table: "Automations",
                columns: new[] { "ProjectId", "EventType", "CollectionId", "AliasPattern", "Enabled", "DeletedAt" },
                filter: "\"DeletedAt\" IS NULL AND \"Enabled\"");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_TeamId_Name_Id",
                table: "Automations",
                columns: new[] { "TeamId", "Name", "Id" },
                filter: "\"DeletedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern_Enabled_DeletedAt",
                table: "Automations");

            migrationBuilder.DropIndex(
                name: "IX_Automations_TeamId_Name_Id",
                table: "Automations");

            migrationBuilder.CreateIndex(
                name: "IX_Automations_ProjectId_EventType_CollectionId_AliasPattern",
                table: "Automations",
                columns: new[] { "ProjectId", "EventType", "CollectionId", "AliasPattern" },
                filter: "\"DeletedAt\" IS NULL AND \"Enabled\"");
        }
    }
}
