import { DEV_ROLES, currentRole, setCurrentRole, type Me } from "../api";

/** Dev mode's role picker (X-Annostream-Role, kept in localStorage `annostream.role`): the roles the policy knows. */
export function RolePicker(p: { me: Me | null; onChange: (role: string) => void }) {
  const roles = p.me?.known_roles?.length ? p.me.known_roles : DEV_ROLES;
  const value = currentRole() || p.me?.role || "annotator";
  return (
    <label className="inline" title="Dev mode role in the team (X-Annostream-Role)">
      Role
      <select
        id="role-picker"
        value={value}
        onChange={(e) => {
          setCurrentRole(e.target.value);
          p.onChange(currentRole());
        }}
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
    </label>
  );
}

/** What the caller may do in its acting team (null: unknown, the UI offers everything and the API decides). */
export function permissionsOf(me: Me | null): Set<string> | null {
  if (!me) return null;
  const m = me.teams.find((t) => t.team === me.team);
  return new Set(m?.permissions ?? []);
}

/** Whether the caller may complete, reopen or delete a task: its owner with manage, anyone with administer. */
export const mayClose = (perms: Set<string> | null, owner: string, user: string) =>
  !perms || perms.has("administer") || (perms.has("manage") && owner === user);
