import { Inngest } from "inngest";

import inngestConfig from "../../../inngest.config";

export const inngest = new Inngest(inngestConfig);
