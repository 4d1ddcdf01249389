import { useId } from "react";

import { Button } from "~/components/ui/button";

type GuardedButtonProps = React.ComponentProps<typeof Button> & {
  /** Why the action is unavailable to this user now, or null when it is available. */
  blockedBy: string | null;
};

/**
 * A button for an action the user may not be allowed to take: when blocked it is disabled, and
 * the reason is its tooltip and its accessible description, so that nobody is left guessing.
 */
export function GuardedButton({ blockedBy, disabled, title, ...props }: GuardedButtonProps) {
  const reasonId = useId();
  return (
    <>
      <Button {...props} disabled={disabled || blockedBy !== null} title={blockedBy ?? title} aria-describedby={blockedBy ? reasonId : undefined} />
      {blockedBy && (
        <span id={reasonId} className="sr-only">
          {blockedBy}
        </span>
      )}
    </>
  );
}
