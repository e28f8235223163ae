/** The controller's own Prometheus metrics (names after Kong's Ingress Controller where it has one). */
export class ControllerMetrics {
  translations = { success: 0, failure: 0 };
  pushes = { success: 0, failure: 0 };
  /** Unix seconds of the last successful apply; 0 before the first. */
  lastApply = 0;
  problems = 0;
  leader = false;
  relists = 0;

  render(): string {
    const lines = [
      '# HELP ingress_controller_translation_count Translations of Kubernetes objects into a configuration, by whether every object translated.',
      '# TYPE ingress_controller_translation_count counter',
      `ingress_controller_translation_count{success="true"} ${this.translations.success}`,
      `ingress_controller_translation_count{success="false"} ${this.translations.failure}`,
      '# HELP ingress_controller_translation_problems Objects left out of the last translation.',
      '# TYPE ingress_controller_translation_problems gauge',
      `ingress_controller_translation_problems ${this.problems}`,
      '# HELP ingress_controller_configuration_push_count Configurations applied to the gateways, by outcome.',
      '# TYPE ingress_controller_configuration_push_count counter',
      `ingress_controller_configuration_push_count{success="true"} ${this.pushes.success}`,
      `ingress_controller_configuration_push_count{success="false"} ${this.pushes.failure}`,
      '# HELP ingress_controller_configuration_push_last_successful Unix time of the last successful apply.',
      '# TYPE ingress_controller_configuration_push_last_successful gauge',
      `ingress_controller_configuration_push_last_successful ${this.lastApply}`,
      '# HELP ingress_controller_leader Whether this instance holds the leader Lease (1) or not (0).',
      '# TYPE ingress_controller_leader gauge',
      `ingress_controller_leader ${this.leader ? 1 : 0}`,
      '# HELP ingress_controller_watch_lists_total Full lists of a kind (the first, and after a watch expired).',
      '# TYPE ingress_controller_watch_lists_total counter',
      `ingress_controller_watch_lists_total ${this.relists}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
